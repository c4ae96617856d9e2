import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  SyncBailHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type { AdaptableModel, Contribution, DataRecord, DataRow, LossOutput, TensorMergeRequest } from '../registry/contributions';
import type { AyaOptimizer } from '../training/optimizer';
import type {
  AdapterRequest,
  CheckpointInfo,
  DataRequest,
  EvaluationInfo,
  LossRequest,
  MergeInfo,
  NamedGradients,
  OptimizerRequest,
  OptimizerStepInfo,
  RunInfo,
  ResolveRequest,
  RunResult,
  StageInfo,
  StepInfo,
  TensorMergedInfo,
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
    /** After each held-out evaluation of a training loop (before it is logged); taps may add to `metrics`. */
    evaluate: new AsyncSeriesHook<[EvaluationInfo]>(['evaluation']),

    // ---------------------------------------------------------------- contributions
    /**
     * Finds the contribution a config names (a loss, optimizer, adapter, trainer, merge method…);
     * the first tap to return one wins (default: the registry of `kind`, which throws for an
     * unknown id). Every consumer resolves ids through here, so an `OVERRIDE` tap can serve ids
     * no registry has.
     */
    resolve: new SyncBailHook<[ResolveRequest], Contribution | undefined>(['request']),
    /** While a checkpoint is written into its temporary folder, before it is committed. */
    checkpoint: new AsyncSeriesHook<[CheckpointInfo]>(['checkpoint']),

    // ---------------------------------------------------------------- data
    /** Opens a dataset as records; the first tap to return an iterable wins (default: the dataset-format registry). */
    loadData: new AsyncSeriesBailHook<[DataRequest], AsyncIterable<DataRecord> | undefined>(['request']),
    /** Transforms each row as it is read (filters return the row unchanged or throw). */
    transformRow: new SyncWaterfallHook<[DataRow, DataRequest]>(['row', 'request']),

    // ---------------------------------------------------------------- loss
    /** Computes a loss; the first tap to return wins (default: the loss registry). */
    loss: new SyncBailHook<[LossRequest], LossOutput | undefined>(['request']),
    /** Post-processes a computed loss (regularisers, scaling, extra metrics). */
    processLoss: new SyncWaterfallHook<[LossOutput, LossRequest]>(['output', 'request']),

    // ---------------------------------------------------------------- optimizer
    /** Creates an optimizer; the first tap to return wins (default: the optimizer registry). */
    createOptimizer: new SyncBailHook<[OptimizerRequest], AyaOptimizer | undefined>(['request']),
    /**
     * Transforms the gradients of an update (already averaged over its accumulated micro-batches)
     * before they are applied; may set `info.learningRate`. The default tap (`HookStage.DEFAULT`)
     * clips them to `info.clipGradNorm`: tap before it to see raw gradients, after it for clipped ones.
     */
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
    /** After each output tensor was merged, on every path (the fused bf16 sums included): for progress and checks. */
    tensorMerged: new SyncHook<[TensorMergedInfo]>(['tensor']),
    /** After the merged model was written. */
    afterMerge: new AsyncSeriesHook<[MergeInfo]>(['merge']),
  });
}

/** The hooks of an {@link Engine}. */
export type EngineHooks = ReturnType<typeof createHooks>;
