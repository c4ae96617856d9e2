import type * as tf from '@tensorflow/tfjs';
import type { DataRow, LossOutput, TrainerResult } from '../registry/contributions';

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

/** An evaluation; taps may add metrics to `metrics`. */
export interface EvaluationInfo {
  readonly stage: string;
  readonly step: number;
  readonly metrics: Record<string, number>;
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

/** Context of collating rows into a batch. */
export interface CollateInfo {
  readonly stage: string;
  readonly rows: readonly DataRow[];
}

/** A request to compute a registered loss. */
export interface LossRequest<I = unknown> {
  /** Loss id in the loss registry. */
  readonly loss: string;
  readonly inputs: I;
  /** Options, validated by the loss's schema (defaults filled in). */
  readonly config?: unknown;
}

/** A request to create a registered optimizer. */
export interface OptimizerRequest {
  readonly optimizer: string;
  readonly config?: unknown;
}

/** Gradients by variable name, as `optimizer.applyGradients` takes them. */
export type NamedGradients = Record<string, tf.Tensor>;

/** One optimizer update, before or after it is applied. */
export interface OptimizerStepInfo {
  readonly stage: string;
  readonly step: number;
  readonly optimizer: tf.Optimizer;
}

/** A request to wrap a model with a registered adapter. */
export interface AdapterRequest {
  readonly adapter: string;
  readonly config?: unknown;
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
