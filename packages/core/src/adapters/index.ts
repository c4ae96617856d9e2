export * from './adapter-base';
export * from './load-adapter';
export * from './peft-format';
export * from './prepare-adapter';
export * from './targets';
