import * as tf from '@tensorflow/tfjs';
import { AyaError } from '../../errors';
import type { AdaptableModel } from '../../registry/contributions';
import type { KVCache } from './attention';
import type { ModelConfig } from './config';
import { linear, softcap } from './layers';

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
}

let modelCounter = 0;

/**
 * A Hugging Face model: its config, its parameters as tfjs variables keyed by their
 * Hugging Face names, and a differentiable forward pass.
 */
export class PretrainedModel implements AdaptableModel {
  readonly #params: Map<string, tf.Variable>;
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

  /** The model's linear layer `name` (`model.layers.0.self_attn.q_proj`): x·Wᵀ + b. */
  linear(name: string, x: tf.Tensor): tf.Tensor {
    return linear(x, this.param(`${name}.weight`), this.maybeParam(`${name}.bias`));
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

  /** Frees every parameter. */
  dispose(): void {
    for (const v of this.#params.values()) v.dispose();
    this.#params.clear();
  }
}
