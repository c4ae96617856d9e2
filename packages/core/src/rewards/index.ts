export * from './reward-model';
export * from './reward-spec';
export * from './rewards';
