export { ApiError } from './api-error';
export { createApp, type AppOptions, type ServedModel } from './app';
export { generateChoices, type ChoiceParams, type ChoiceResult } from './choices';
export { GenerationScheduler, QueueFullError, type SchedulerOptions } from './scheduler';
export { startServer, type RunningServer, type ServeOptions } from './server';
export { benchServe, type BenchServeOptions, type BenchServeRow } from './bench-serve';
