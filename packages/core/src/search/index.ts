export * from './cma-es';
export * from './eigen';
