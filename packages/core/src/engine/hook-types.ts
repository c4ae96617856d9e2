import type * as tf from '@tensorflow/tfjs';
import type { LossOutput, TrainerResult } from '../registry/contributions';
import type { ContributionKinds } from '../registry/registries';
import type { AyaOptimizer } from '../training/optimizer';

/** A whole run: a recipe or a single `aya-fw train`. */
export interface RunInfo {
  /** Recipe or job name. */
  readonly name: string;
  /** Recipe file, when the run comes from one. */
  readonly recipe?: string;
  readonly outDir: string;
  readonly seed: number;
  /** The compute backend in use (`wasm`, `cpu`, `tensorflow`). */
  readonly backend: string;
}

/** What a run produced, by stage name. */
export interface RunResult {
  readonly stages: Readonly<Record<string, TrainerResult>>;
}

/** One stage of a run (a trainer invocation). */
export interface StageInfo {
  readonly run: RunInfo;
  readonly name: string;
  readonly trainer: string;
  readonly index: number;
  readonly count: number;
}

/** One optimizer step, after the update; values are already read back from the backend. */
export interface StepInfo {
  readonly stage: string;
  /** 1-based step number. */
  readonly step: number;
  readonly totalSteps?: number;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Global L2 norm of the gradients before clipping. */
  readonly gradNorm?: number;
  /** Learning rate of this update, when a schedule set one. */
  readonly learningRate?: number;
}

/** A held-out evaluation of a training loop; taps may add metrics to `metrics` (logged with an `eval_` prefix). */
export interface EvaluationInfo {
  readonly stage: string;
  /** The update the evaluation follows (0: before training). */
  readonly step: number;
  readonly metrics: Record<string, number>;
}

/** Which contribution to find: a registry key and an id. */
export interface ResolveRequest<K extends keyof ContributionKinds = keyof ContributionKinds> {
  readonly kind: K;
  readonly id: string;
}

/** A checkpoint about to be committed; `dir` is the temporary folder being written. */
export interface CheckpointInfo {
  readonly stage: string;
  readonly step: number;
  readonly dir: string;
}

/** Which data to load. */
export interface DataRequest {
  readonly file: string;
  /** Dataset format id; inferred from the extension when absent. */
  readonly format?: string;
}

/** A request to compute a loss (made by {@link PreparedLoss.compute}). */
export interface LossRequest<I = unknown> {
  /** Loss id in the loss registry. */
  readonly loss: string;
  readonly inputs: I;
  /** Options, already validated by the loss's schema (defaults filled in). */
  readonly config?: unknown;
  /** The stage computing it, when a trainer does. */
  readonly stage?: string;
}

/** A request to create an optimizer; `config` is validated by the optimizer's schema in the default tap. */
export interface OptimizerRequest {
  readonly optimizer: string;
  readonly config?: unknown;
  /** Where the options come from, for errors (`recipe.yaml:7`, `sft: optimizerConfig`). */
  readonly where?: string;
}

/** Gradients by variable name, as `optimizer.applyGradients` takes them. */
export type NamedGradients = Record<string, tf.Tensor>;

/**
 * One optimizer update, before or after it is applied. Taps of `beforeOptimizerStep` may set
 * `learningRate` (a schedule of their own); the engine applies it after the waterfall.
 */
export interface OptimizerStepInfo {
  readonly stage: string;
  readonly step: number;
  readonly optimizer: AyaOptimizer;
  /** Global L2 norm of the (accumulated) gradients before any tap changed them. */
  readonly gradNorm: number;
  /** The clipping threshold of this update (the default tap clips to it at `HookStage.DEFAULT`). */
  readonly clipGradNorm?: number;
  /** Learning rate of this update; the trainer's schedule sets it, taps may change it. */
  learningRate?: number;
}

/** A request to wrap a model with an adapter; `config` is validated by the adapter's schema in the default tap. */
export interface AdapterRequest {
  readonly adapter: string;
  readonly config?: unknown;
  readonly where?: string;
}

/** One output tensor of a merge, after it was merged (on every path, fused or through `mergeTensor`). */
export interface TensorMergedInfo {
  readonly method: string;
  readonly name: string;
  readonly shape: readonly number[];
  /** Bytes read from the inputs for this tensor. */
  readonly bytesRead: number;
}

/** A merge of whole models (the per-tensor work goes through `mergeTensor`). */
export interface MergeInfo {
  readonly method: string;
  /** Input model folders, in `models[]` order. */
  readonly models: readonly string[];
  readonly base?: string;
  readonly outDir: string;
  /** Number of output tensors. */
  readonly tensorCount: number;
  /** Bytes read from all inputs together. */
  readonly inputBytes: number;
  /** Values read from all inputs together (for rates). */
  readonly inputElements: number;
}

export type { LossOutput };
