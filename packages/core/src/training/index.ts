export * from './optimizer';
export * from './schedule';
export * from './config';
export * from './tensorboard';
export * from './metrics';
export * from './checkpoint';
export * from './loop';
export * from './inputs';
