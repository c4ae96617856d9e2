import * as tf from '@tensorflow/tfjs';
import { AyaError } from '../../errors';
import type { AdaptableModel } from '../../registry/contributions';
import type { KVCache } from './attention';
import type { ModelConfig } from './config';
import { conv1d, linear, softcap } from './layers';

/** What a checkpoint's head computes. */
export type ModelTask = 'causal-lm' | 'sequence-classification';

/** Inputs of {@link PretrainedModel.forward}. */
export interface ForwardInputs {
  /** Token ids [b, s], int32. */
  readonly inputIds: tf.Tensor2D;
  /** [b, past + s]: 1 for tokens to attend to, 0 for padding. Default: all ones. */
  readonly attentionMask?: tf.Tensor2D;
  /** Positions [b, s]; default past + 0…s−1 (pass mask-derived positions for left padding). */
  readonly positionIds?: tf.Tensor2D;
  /** Keys and values of earlier positions; extended in place. */
  readonly cache?: KVCache;
}

/** Outputs of {@link PretrainedModel.forward}. */
export interface ForwardOutput {
  /** Causal LM: [b, s, vocab]. Sequence classification: [b, num_labels] at the last non-pad token. */
  readonly logits: tf.Tensor;
  /** Final hidden states [b, s, hidden], after the last norm. */
  readonly hidden: tf.Tensor3D;
}

/** One architecture family: its parameters and its body. */
export interface Architecture {
  /** Every parameter of the body (embeddings, layers, final norm) with its shape, in state-dict order. */
  bodyShapes(config: ModelConfig): Map<string, number[]>;
  /** Name of the token embedding matrix [vocab, hidden] (the tied LM head). */
  readonly embeddingName: string;
  /** Final hidden states of the body. */
  hidden(model: PretrainedModel, inputs: ForwardInputs): tf.Tensor3D;
  /** Other names under which checkpoints store a parameter (older layouts). */
  aliases?(name: string): string[];
  /** Checkpoint tensors that are buffers, not parameters, and are skipped. */
  isBuffer?(name: string): boolean;
  /** Linear layers stored as `Conv1D` [in, out] (GPT-2) rather than `nn.Linear` [out, in]. */
  isConv1d?(module: string): boolean;
}

/** A linear layer's sizes and storage layout (`fanInFanOut`: PEFT's name for `Conv1D`'s [in, out]). */
export interface LinearShape {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly fanInFanOut: boolean;
}

/** Wraps a linear layer: receives its input and the base layer, returns the output (adapters). */
export type LinearWrapper = (x: tf.Tensor, base: (input: tf.Tensor) => tf.Tensor) => tf.Tensor;

/** Extra parameters attached to a model (an adapter's), saved and trained with it when active. */
export interface AttachedModule {
  readonly name: string;
  /** Parameters by their key in the module's own file format. */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /** Whether the module takes part in forward passes. */
  active: boolean;
  /** Writes the module in its own format (an adapter folder). */
  save?(dir: string): void;
}

let modelCounter = 0;

/**
 * A Hugging Face model: its config, its parameters as tfjs variables keyed by their
 * Hugging Face names, and a differentiable forward pass.
 */
export class PretrainedModel implements AdaptableModel {
  readonly #params: Map<string, tf.Variable>;
  readonly #wrappers = new Map<string, LinearWrapper[]>();
  /** Adapters and other attached modules, by name. */
  readonly attached = new Map<string, AttachedModule>();
  /** Unique prefix of this model's tfjs variable names. */
  readonly id: string;

  constructor(
    readonly config: ModelConfig,
    readonly task: ModelTask,
    readonly architecture: Architecture,
    values: ReadonlyMap<string, tf.Tensor>,
    options: { trainable?: boolean; source?: string } = {},
  ) {
    this.id = `m${++modelCounter}`;
    this.source = options.source;
    this.#params = new Map();
    for (const [name, value] of values) this.#params.set(name, tf.variable(value, options.trainable ?? true, `${this.id}/${name}`));
  }

  /** Folder the model was loaded from, if any (its tokenizer files are copied on save). */
  readonly source?: string;

  /** Every parameter by its Hugging Face name, in state-dict order. */
  namedParameters(): ReadonlyMap<string, tf.Variable> {
    return this.#params;
  }

  /** A parameter by name; a missing one is an error naming it. */
  param(name: string): tf.Variable {
    const p = this.#params.get(name);
    if (!p) throw new AyaError(`model has no parameter '${name}'`);
    return p;
  }

  /** An optional parameter (biases). */
  maybeParam(name: string): tf.Variable | undefined {
    return this.#params.get(name);
  }

  /** The model's linear layer `name` (`model.layers.0.self_attn.q_proj`): x·Wᵀ + b (x·W + b for `Conv1D`), through any wrappers. */
  linear(name: string, x: tf.Tensor): tf.Tensor {
    const product = this.architecture.isConv1d?.(name) ? conv1d : linear;
    const base = (input: tf.Tensor) => product(input, this.param(`${name}.weight`), this.maybeParam(`${name}.bias`));
    const wrappers = this.#wrappers.get(name);
    if (!wrappers) return base(x);
    return wrappers.reduce<(input: tf.Tensor) => tf.Tensor>((inner, w) => (input) => w(input, inner), base)(x);
  }

  /** Names of the linear layers that {@link linear} serves (`…q_proj`, `…down_proj`), in order. */
  linearNames(): string[] {
    const out: string[] = [];
    for (const [name, v] of this.#params) {
      if (v.rank !== 2 || !name.endsWith('.weight')) continue;
      const module = name.slice(0, -'.weight'.length);
      if (/(embed_tokens|lm_head|score|wte|wpe)$/.test(module)) continue;
      out.push(module);
    }
    return out;
  }

  /** Sizes and layout of linear layer `name`. */
  linearShape(name: string): LinearShape {
    const [rows, cols] = this.param(`${name}.weight`).shape as [number, number];
    const fanInFanOut = this.architecture.isConv1d?.(name) ?? false;
    return fanInFanOut ? { inFeatures: rows, outFeatures: cols, fanInFanOut } : { inFeatures: cols, outFeatures: rows, fanInFanOut };
  }

  /** Wraps linear layer `name`; returns a function that removes the wrapper. */
  wrapLinear(name: string, wrapper: LinearWrapper): () => void {
    if (!this.#params.has(`${name}.weight`)) throw new AyaError(`model has no linear layer '${name}'`);
    const list = [...(this.#wrappers.get(name) ?? []), wrapper];
    this.#wrappers.set(name, list);
    return () => {
      const rest = (this.#wrappers.get(name) ?? []).filter((w) => w !== wrapper);
      if (rest.length) this.#wrappers.set(name, rest);
      else this.#wrappers.delete(name);
    };
  }

  /** Variables that training updates: trainable base parameters and the parameters of active attached modules. */
  trainableVariables(): tf.Variable[] {
    const out = [...this.#params.values()].filter((v) => v.trainable);
    for (const m of this.attached.values()) if (m.active) out.push(...[...m.parameters.values()].filter((v) => v.trainable));
    return out;
  }

  /** Logits for `inputs`; differentiable. Call inside `tf.tidy`. */
  forward(inputs: ForwardInputs): ForwardOutput {
    const hidden = this.architecture.hidden(this, inputs);
    if (this.task === 'sequence-classification') return { logits: this.#pooledScores(hidden, inputs.inputIds, inputs.attentionMask), hidden };
    const head = this.config.tieWordEmbeddings ? this.param(this.architecture.embeddingName) : this.param('lm_head.weight');
    let logits = linear(hidden, head);
    if (this.config.logitScale !== 1) logits = tf.mul(logits, this.config.logitScale);
    if (this.config.finalLogitSoftcap !== null) logits = softcap(logits, this.config.finalLogitSoftcap);
    return { logits, hidden };
  }

  /**
   * Scores at the last non-pad token of each row, as transformers pools reward models (tokens
   * unequal to pad_token_id; the attention mask when the config has no pad token).
   */
  #pooledScores(hidden: tf.Tensor3D, inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D): tf.Tensor2D {
    const scores = linear(hidden, this.param('score.weight'));
    const [b, s] = inputIds.shape;
    const pad = this.config.padTokenId;
    const positions = tf.reshape(tf.range(0, s, 1, 'int32'), [1, s]);
    const nonPad =
      pad !== null ? tf.cast(tf.notEqual(inputIds, pad), 'int32') : attentionMask ? tf.cast(attentionMask, 'int32') : tf.onesLike(inputIds);
    const last = tf.max(tf.mul(positions, nonPad), 1);
    const pick = tf.reshape(tf.oneHot(last, s), [b, s, 1]);
    return tf.sum(tf.mul(scores, pick), 1) as tf.Tensor2D;
  }

  /** Frees every parameter, attached modules' included. */
  dispose(): void {
    for (const v of this.#params.values()) v.dispose();
    for (const m of this.attached.values()) for (const v of m.parameters.values()) v.dispose();
    this.#params.clear();
    this.attached.clear();
  }
}
