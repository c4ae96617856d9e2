export * from './examples';
export * from './load';
export * from './tokenize';
export * from './batch';
