export * from './parameters';
export * from './config';
export * from './resolve';
export * from './in-memory';
export * from './run-merge';
export * from './bench';
