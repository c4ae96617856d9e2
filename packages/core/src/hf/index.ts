export * from './safetensors';
export * from './models/config';
export * from './models/model';
export * from './models/architectures';
export * from './models/load';
export * from './models/attention';
export * from './models/rope';
export * from './models/layers';
