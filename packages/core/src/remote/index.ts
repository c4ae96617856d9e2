export * from './openai-client';
export * from './remote-model';
