import type * as tf from '@tensorflow/tfjs';
import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  SyncBailHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type { AdaptableModel, DataRecord, DataRow, LossOutput, TensorMergeRequest } from '../registry/contributions';
import type {
  AdapterRequest,
  CheckpointInfo,
  CollateInfo,
  DataRequest,
  EvaluationInfo,
  LossRequest,
  MergeInfo,
  NamedGradients,
  OptimizerRequest,
  OptimizerStepInfo,
  RunInfo,
  RunResult,
  StageInfo,
  StepInfo,
} from './hook-types';

/**
 * Creates the engine's hooks. Hooks called inside a training step (loss, optimizer step,
 * step, shouldStop) are synchronous: they run inside `tf.tidy`, which cannot hold a promise.
 * The engine's own defaults are taps at `HookStage.DEFAULT`; tap a bail hook at
 * `HookStage.OVERRIDE` to replace a default.
 */
export function createHooks() {
  return Object.freeze({
    // ---------------------------------------------------------------- run lifecycle
    /** Before anything of a run happens: validate, prepare folders. */
    beforeRun: new AsyncSeriesHook<[RunInfo]>(['run']),
    /** The run starts (after `beforeRun`, before the first stage). */
    run: new AsyncSeriesHook<[RunInfo]>(['run']),
    /** Before a stage's trainer runs. */
    beforeStage: new AsyncSeriesHook<[StageInfo]>(['stage']),
    /** After a stage's trainer returned. */
    afterStage: new AsyncSeriesHook<[StageInfo, RunResult]>(['stage', 'result']),
    /** After the last stage, with every stage's result. */
    afterRun: new AsyncSeriesHook<[RunInfo, RunResult]>(['run', 'result']),
    /** After each optimizer step, inside `tf.tidy`, with the step's loss and metrics read back. */
    step: new SyncHook<[StepInfo]>(['step']),
    /** After each step: return `true` to stop the stage early. */
    shouldStop: new SyncBailHook<[StepInfo], boolean | void>(['step']),
    /** After an evaluation; taps may add to `metrics`. */
    evaluate: new AsyncSeriesHook<[EvaluationInfo]>(['evaluation']),
    /** While a checkpoint is written into its temporary folder, before it is committed. */
    checkpoint: new AsyncSeriesHook<[CheckpointInfo]>(['checkpoint']),

    // ---------------------------------------------------------------- data
    /** Opens a dataset as records; the first tap to return an iterable wins (default: the dataset-format registry). */
    loadData: new AsyncSeriesBailHook<[DataRequest], AsyncIterable<DataRecord> | undefined>(['request']),
    /** Transforms each row as it is read (filters return the row unchanged or throw). */
    transformRow: new SyncWaterfallHook<[DataRow, DataRequest]>(['row', 'request']),
    /** Post-processes a collated batch. */
    collate: new SyncWaterfallHook<[Record<string, unknown>, CollateInfo]>(['batch', 'info']),

    // ---------------------------------------------------------------- loss
    /** Computes a loss; the first tap to return wins (default: the loss registry). */
    loss: new SyncBailHook<[LossRequest], LossOutput | undefined>(['request']),
    /** Post-processes a computed loss (regularisers, scaling, extra metrics). */
    processLoss: new SyncWaterfallHook<[LossOutput, LossRequest]>(['output', 'request']),

    // ---------------------------------------------------------------- optimizer
    /** Creates an optimizer; the first tap to return wins (default: the optimizer registry). */
    createOptimizer: new SyncBailHook<[OptimizerRequest], tf.Optimizer | undefined>(['request']),
    /** Transforms gradients before they are applied (clipping, accumulation). */
    beforeOptimizerStep: new SyncWaterfallHook<[NamedGradients, OptimizerStepInfo]>(['gradients', 'info']),
    /** After gradients were applied. */
    afterOptimizerStep: new SyncHook<[OptimizerStepInfo]>(['info']),

    // ---------------------------------------------------------------- adapter
    /** Wraps a model with an adapter; the default tap applies the adapter registry's entry. */
    adapt: new SyncWaterfallHook<[AdaptableModel, AdapterRequest]>(['model', 'request']),

    // ---------------------------------------------------------------- merge
    /** Before a merge reads its inputs. */
    beforeMerge: new AsyncSeriesHook<[MergeInfo]>(['merge']),
    /** Merges one tensor; the first tap to return wins (default: the merge-method registry). */
    mergeTensor: new SyncBailHook<[TensorMergeRequest], Float32Array | undefined>(['request']),
    /** After the merged model was written. */
    afterMerge: new AsyncSeriesHook<[MergeInfo]>(['merge']),
  });
}

/** The hooks of an {@link Engine}. */
export type EngineHooks = ReturnType<typeof createHooks>;
