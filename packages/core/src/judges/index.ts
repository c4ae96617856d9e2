export * from './open-judge';
export * from './verdicts';
