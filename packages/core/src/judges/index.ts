export * from './open-judge';
export * from './verdicts';
export * from './open-harm-judge';
