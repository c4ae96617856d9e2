export * from './dtype';
export * from './header';
export * from './file';
export * from './write';
export * from './checkpoint';
