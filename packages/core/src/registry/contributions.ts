import type * as tf from '@tensorflow/tfjs';
import type { ZodType } from 'zod';
import type { Engine } from '../engine/engine';
import type { ModelConfig } from '../hf/models/config';
import type { AttachedModule, LinearShape, LinearWrapper, PretrainedModel } from '../hf/models/model';
import type { Tokenizer } from '../hf/tokenizer/tokenizer';
import type { Reporter } from '../reporting/reporter';
import type { AyaOptimizer } from '../training/optimizer';
import type { ContributionKinds } from './registries';

/** What every contribution to a registry carries. */
export interface Contribution {
  /** Unique lowercase kebab-case id within its registry (`dpo`, `dare-ties`). */
  readonly id: string;
  /** One line, shown by `aya-fw plugins`. */
  readonly description: string;
  /** The plugin that contributed it; filled in by `definePlugin`. */
  readonly plugin?: string;
}

/** A contribution whose options are validated by a zod schema before use. */
export interface Configurable<C> {
  /** Schema of the options; parsing fills in defaults. Errors name the field path. */
  readonly configSchema?: ZodType<C>;
}

// ---------------------------------------------------------------- losses

/** What a loss returns: the scalar to minimise and scalar metrics to log. */
export interface LossOutput {
  readonly loss: tf.Scalar;
  readonly metrics?: Readonly<Record<string, tf.Scalar>>;
}

/**
 * A loss: a pure, synchronous function of tensors (it runs inside `tf.tidy`).
 * `inputKind` tells a trainer what it must feed: for example `pairwise` for
 * {@link PairwiseLogps}, `token` for per-token log-probabilities.
 */
export interface LossDefinition<I = any, C = any> extends Contribution, Configurable<C> {
  readonly inputKind: string;
  compute(inputs: I, config: C): LossOutput;
}

/**
 * Per-sequence log-likelihoods of a pair of completions of the same prompt, the input of
 * the pairwise preference losses (`inputKind: 'pairwise'`). "Chosen" is the preferred
 * completion where there is a preference; losses that need no ranking (CoPG) treat the
 * two symmetrically and use `rewards`.
 */
export interface PairwiseLogps {
  /** Σ_t log π(y_t | x, y_<t) over the completion tokens of the first (chosen) completion, shape [batch]. */
  readonly policyChosen: tf.Tensor1D;
  /** Same for the second (rejected) completion. */
  readonly policyRejected: tf.Tensor1D;
  /** Reference-model log-likelihood of the chosen completion, shape [batch]; constant. */
  readonly referenceChosen: tf.Tensor1D;
  /** Reference-model log-likelihood of the rejected completion, shape [batch]; constant. */
  readonly referenceRejected: tf.Tensor1D;
  /** Completion lengths |y| in tokens, shape [batch]; required for `reduction: 'mean'`. */
  readonly chosenLengths?: tf.Tensor1D;
  readonly rejectedLengths?: tf.Tensor1D;
  /** Scalar rewards R(y) and R(y'), shape [batch]; required by reward-based losses (CoPG). */
  readonly chosenRewards?: tf.Tensor1D;
  readonly rejectedRewards?: tf.Tensor1D;
}

// ---------------------------------------------------------------- trainers

/** What a trainer is handed when a recipe stage or `aya-fw train` runs it. */
export interface TrainerContext<C = unknown> {
  readonly engine: Engine;
  /** The stage's options, already validated by the trainer's `configSchema`. */
  readonly config: C;
  /** Stage name, for logs and output paths. */
  readonly stage: string;
  /** Folder this stage may write into (created by the caller). */
  readonly outDir: string;
  /** Seed for every random choice of the stage. */
  readonly seed: number;
  readonly reporter: Reporter;
  /** Outputs of earlier stages of the same recipe, by stage name. */
  readonly previous: Readonly<Record<string, TrainerResult>>;
  /** Folder that relative paths in the options resolve from (the recipe's folder, or the working directory). */
  readonly baseDir: string;
  /** Continue from the newest complete checkpoint in `outDir` (`--resume`). */
  readonly resume?: boolean;
}

/** What a trainer reports back: final metrics and the files it wrote. */
export interface TrainerResult {
  readonly metrics: Readonly<Record<string, number>>;
  /** Named output paths (`model`, `report`, …). */
  readonly artifacts?: Readonly<Record<string, string>>;
}

/**
 * A contribution a trainer's options name (its loss, optimizer, adapter, reward…): resolved and
 * validated before the first stage of a recipe runs, so a typo fails at once with `file:line`.
 */
export interface ContributionUse {
  readonly kind: keyof ContributionKinds;
  readonly id: string;
  /** Path of the id inside the trainer's options (`['loss']`, `['adapter', 'type']`). */
  readonly idPath: readonly (string | number)[];
  /** The contribution's options and their path, when the options carry them (`lossConfig`). */
  readonly config?: unknown;
  readonly configPath?: readonly (string | number)[];
  /** For a loss: the input kind the trainer feeds (a loss of another kind is refused). */
  readonly inputKind?: string;
}

/** A trainer in the trainer registry, selected by id from a recipe stage or `aya-fw train <id>`. */
export interface TrainerDefinition<C = any> extends Contribution, Configurable<C> {
  /** The contributions its (validated) options name, checked before any stage runs. */
  contributions?(config: C): readonly ContributionUse[];
  run(ctx: TrainerContext<C>): Promise<TrainerResult>;
}

// ---------------------------------------------------------------- optimizers

/** An optimizer factory; `create` receives validated options. */
export interface OptimizerDefinition<C = any> extends Contribution, Configurable<C> {
  /** An {@link AyaOptimizer}: its state is checkpointed and its learning rate follows the schedule. */
  create(config: C): AyaOptimizer;
}

// ---------------------------------------------------------------- adapters

/**
 * What an adapter sees of a model (core's `PretrainedModel` implements it): its parameters by
 * Hugging Face name, its linear layers (names, shapes, wrapping) and the modules attached to it.
 */
export interface AdaptableModel {
  /** Unique prefix of the model's tfjs variable names. */
  readonly id: string;
  /** Folder the model was loaded from (an adapter config's `base_model_name_or_path`). */
  readonly source?: string;
  /** The parsed `config.json` (sizes, `modelType`…). */
  readonly config: ModelConfig;
  /** Every parameter by its Hugging Face name. */
  namedParameters(): ReadonlyMap<string, tf.Variable>;
  /** A parameter by name (an error names a missing one). */
  param(name: string): tf.Variable;
  maybeParam(name: string): tf.Variable | undefined;
  /** Names of the linear layers (`model.layers.0.self_attn.q_proj`), in order. */
  linearNames(): string[];
  linearShape(name: string): LinearShape;
  /** Wraps a linear layer; returns the function that removes the wrapper. */
  wrapLinear(name: string, wrapper: LinearWrapper): () => void;
  /** Adapters attached to the model, by name: trained and saved with it while active. */
  readonly attached: Map<string, AttachedModule>;
}

/**
 * An adapter type (LoRA, IA3, MoV, MoLoRA, or a plugin's): `apply` attaches it to a model under
 * `config.name`; `peftType` and `fromPeftConfig` let `loadAdapter` reload a saved folder
 * (`adapter_config.json` + `adapter_model.safetensors`) through the registry.
 */
export interface AdapterDefinition<C = any> extends Contribution, Configurable<C> {
  /** The `peft_type` its `adapter_config.json` carries (`LORA`, `IA3`, or the plugin's own). */
  readonly peftType: string;
  /** Attaches the adapter (see core's `AdapterBase`) and returns the model. */
  apply<M extends AdaptableModel>(model: M, config: C): M;
  /** This adapter's options (before validation) from a saved `adapter_config.json`, named `name`. */
  fromPeftConfig(peft: Readonly<Record<string, unknown>>, name: string): unknown;
}

// ---------------------------------------------------------------- merging

/** A parameter a merge method takes, as mergekit's `ConfigParameterDef`. */
export interface MergeParameterDef {
  readonly name: string;
  /** Value when the config gives none; a parameter without a default is required unless `optional`. */
  readonly default?: number | boolean;
  /** Absent when not given (passthrough's `scale`). */
  readonly optional?: boolean;
}

/** One tensor of every input model, flattened to f32, plus the method's options for it. */
export interface TensorMergeRequest {
  /** Merge method id. */
  readonly method: string;
  /** Tensor name, e.g. `model.layers.3.mlp.up_proj.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** The tensor in each model of `models[]`, in order. */
  readonly tensors: readonly Float32Array[];
  /** Per-model parameters (`weight`, `density`…) after gradient interpolation, parallel to `tensors`. */
  readonly modelParameters: readonly Readonly<Record<string, number | boolean>>[];
  /** Method-level parameters (`t`, `lambda`, `normalize`…) for this tensor. */
  readonly parameters: Readonly<Record<string, number | boolean>>;
  /** The base model's tensor, when the merge has a base model. */
  readonly base?: Float32Array;
  /** Index of the base model in `tensors` when it is also listed among the models. */
  readonly baseIndex?: number;
  /** Deterministic seed for random methods (DARE), derived from the run seed, the tensor name and `offset`. */
  readonly seed: number;
  /**
   * For elementwise methods, the position of this slice in the flattened tensor: large
   * tensors are merged in slices so memory stays bounded. 0 for a whole tensor.
   */
  readonly offset?: number;
  /** A buffer of the output's length the method may write its result into and return (contents undefined). */
  readonly out?: Float32Array;
}

/**
 * A merge method (`linear`, `ties`, `slerp`…) with mergekit's semantics: it declares its
 * method-level and per-model parameters and computes one output tensor at a time.
 */
export interface MergeMethodDefinition extends Contribution {
  /** Whether the method needs `base_model` (task-vector methods, SLERP). */
  readonly requiresBase: boolean;
  /**
   * Whether each output value depends only on the same position of the inputs, so a tensor
   * can be merged slice by slice (linear, task arithmetic, DARE). False for TIES (top-k over
   * the whole tensor) and SLERP (norms of the whole tensor).
   */
  readonly elementwise: boolean;
  /** Method-level parameters (`normalize`, `t`, `lambda`…). */
  readonly parameters: readonly MergeParameterDef[];
  /** Per-model parameters (`weight`, `density`…); the base model needs none. */
  readonly tensorParameters: readonly MergeParameterDef[];
  mergeTensor(request: TensorMergeRequest): Float32Array;
  /**
   * Checks one tensor's resolved parameters before anything is read or written (ranges,
   * combinations such as DELLA's density ± epsilon): a message saying what is wrong, or undefined.
   */
  checkParameters?(request: Pick<TensorMergeRequest, 'parameters' | 'modelParameters' | 'name' | 'baseIndex'>): string | undefined;
  /**
   * For a method whose output is a fixed weighted sum of the listed models, θ = Σᵢ cᵢ·θᵢ computed
   * as `scale(c₀, θ₀)` then `axpy(cᵢ, θᵢ)` in list order: the coefficients for these parameters
   * (undefined when they do not make one). The merge runner then sums bf16 checkpoints in one
   * fused pass per input, with the same bytes as `mergeTensor`.
   */
  linearCoefficients?(request: Pick<TensorMergeRequest, 'parameters' | 'modelParameters'>): number[] | undefined;
}

// ---------------------------------------------------------------- data, rewards, judges, reproductions

/** One row of a dataset, as parsed from JSONL, JSON or Parquet. */
export type DataRow = Readonly<Record<string, unknown>>;

/** One row as read from a file, or the reason it could not be read. */
export interface DataRecord {
  /** The parsed row; absent when `error` says why it could not be parsed. */
  readonly row?: DataRow;
  /** `file:line` (JSONL) or `file#index` (JSON, Parquet). */
  readonly where: string;
  readonly error?: string;
}

/** A dataset file format, chosen by id or file extension. */
export interface DatasetFormatDefinition extends Contribution {
  /** Extensions this format reads, with the dot (`.jsonl`). */
  readonly extensions: readonly string[];
  /** Records in file order, streamed where the format allows; a malformed row is a record with `error`. */
  read(file: string): AsyncIterable<DataRecord>;
}

/** One completion to score, with its prompt and the dataset row it came from (every column, `language`…). */
export interface RewardItem {
  readonly prompt: string;
  readonly completion: string;
  readonly row: DataRow;
}

/** A reward for one completion; `null` means "does not apply" (left out of that reward's sum and baselines). */
export type RewardValue = number | null;

/**
 * A reward function (TRL's `reward_funcs` contract): scores a batch of completions, one number or
 * `null` per completion, synchronously or as a promise (API-backed judges). The online trainers,
 * online DPO, arbitrage and pair sampling all score through it; a recipe names it by id in
 * `rewards: [{ function: <id>, weight }]`, beside reward models (`{ model: DIR }`) and judges.
 */
export interface RewardFunctionDefinition<C = any> extends Contribution, Configurable<C> {
  score(items: readonly RewardItem[], config: C): readonly RewardValue[] | Promise<readonly RewardValue[]>;
}

/** One text to translate, with the languages (the rows' `language` codes) and the row it belongs to. */
export interface TranslationItem {
  readonly text: string;
  readonly from: string;
  readonly to: string;
  readonly row: DataRow;
}

/**
 * A translator: machine translation of a batch of texts (a function, a model or an API behind it),
 * one translation or `null` (could not translate) per item, synchronously or as a promise. The
 * `translated-pairs` stage translates prompts into a pivot language and a weaker model's answers
 * back through it ("RLHF Can Speak Many Languages").
 */
export interface TranslatorDefinition<C = any> extends Contribution, Configurable<C> {
  translate(items: readonly TranslationItem[], config: C): readonly (string | null)[] | Promise<readonly (string | null)[]>;
}

/**
 * The verdict of a pairwise judge on answers A and B, on Arena-Hard's five-point scale: `a>>b`
 * (A much better), `a`, `tie`, `b`, `b>>a`; `null` when the judge gave no usable verdict (an
 * LLM's answer without one): the comparison is left out.
 */
export type JudgeVerdict = 'a>>b' | 'a' | 'tie' | 'b' | 'b>>a' | null;

/** One comparison for a judge. */
export interface JudgeItem {
  readonly prompt: string;
  readonly a: string;
  readonly b: string;
  readonly row: DataRow;
}

/** A judge ready to compare: what {@link JudgeDefinition.open} returns. */
export interface JudgeSession {
  /** Verdicts in item order (a judge behind an API sends them concurrently; a local model batches them). */
  compareMany(items: readonly JudgeItem[]): Promise<JudgeVerdict[]>;
  dispose?(): void;
}

/**
 * A pairwise judge: programmatic (`compare`) or holding a model or a client (`open`). A config
 * names a judge by id (`judge: toy-judge`, options in `judgeConfig`), or by a remote model's URL
 * (`judge: http://host:8000/v1#name`), which is the LLM judge `llm-pairwise` with that model.
 */
export interface JudgeDefinition<C = any> extends Contribution, Configurable<C> {
  compare?(prompt: string, a: string, b: string, row: DataRow, config: C): Promise<JudgeVerdict>;
  open?(config: C): JudgeSession | Promise<JudgeSession>;
  /** A harm judge: is this completion harmful? (programmatic) */
  classify?(item: HarmItem, config: C): HarmVerdict | Promise<HarmVerdict>;
  /** A harm judge holding a model or a client: classifies in batches. */
  openHarm?(config: C): HarmSession | Promise<HarmSession>;
}

/** One completion for a harm judge, with its prompt and the prompt's row (language, `global_or_local`, …). */
export interface HarmItem {
  readonly prompt: string;
  readonly completion: string;
  readonly row: DataRow;
}

/** A harm judge's verdict: harmful or not (`null`: no usable verdict, left out), optionally a category. */
export interface HarmVerdict {
  readonly harmful: boolean | null;
  readonly category?: string;
}

/** A harm judge ready to classify. */
export interface HarmSession {
  classifyMany(items: readonly HarmItem[]): Promise<HarmVerdict[]>;
  dispose?(): void;
}

/** What an evaluator is opened with. */
export interface EvaluatorContext {
  readonly engine: Engine;
  /** Resolves a path in the evaluator's options against the config's folder (and `stage:` outputs in a recipe). */
  resolve(path: string, artifact?: string): string;
  readonly seed: number;
  readonly reporter: Reporter;
}

/** An evaluator ready to score models: what {@link EvaluatorDefinition.open} returns. */
export interface EvaluatorSession {
  /**
   * The score of a model (a merge candidate held in memory, or a loaded folder) with its
   * tokenizer (absent for models without one); NaN or a throw is a failed evaluation.
   */
  evaluate(model: PretrainedModel, tokenizer?: Tokenizer): number | Promise<number>;
  dispose?(): void;
}

/**
 * Scores a model with one number: a held-out loss, a reward mean, a judge's win-rate, a harm rate,
 * a user's function. Merge-weight search optimises one or several of them; `direction` says
 * which way is better.
 */
export interface EvaluatorDefinition<C = any> extends Contribution, Configurable<C> {
  readonly direction: 'higher' | 'lower';
  open(config: C, ctx: EvaluatorContext): EvaluatorSession | Promise<EvaluatorSession>;
}

/** What a reproduction is handed by `aya-fw repro <id>`. */
export interface ReproductionContext {
  readonly engine: Engine;
  readonly reporter: Reporter;
  readonly seed: number;
  /** Folder for the reproduction's files (tables, figures, models); `--out`, default `runs/repro-<id>`. */
  readonly outDir?: string;
  /** `full` (the CLI's default) or `reduced`: the size the test suite runs, which still checks the claims. */
  readonly size?: 'full' | 'reduced';
}

/** A paper's own check, runnable as `aya-fw repro <id>`; returns a JSON-able summary. */
export interface ReproductionDefinition<R extends Record<string, unknown> = Record<string, unknown>> extends Contribution {
  run(ctx: ReproductionContext): Promise<R>;
  /** Human-readable lines for a terminal (the JSON summary is printed with `--json`). */
  summarize?(result: R): string[];
}
