import { batchTensors, fitSequences, initModel, padBatch, parseModelConfig, tf, type Engine, type PretrainedModel } from '@aya-fw/core';
import { PAD, TOY_TASKS, TOY_VOCAB, toyExamples, type ToyExample } from './tasks';

/** The base: a Llama-style decoder, d 256, 2 layers, 8 heads, SwiGLU 576, tied 32-token vocabulary (1.42M parameters). */
export const TOY_MODEL_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 256,
  num_hidden_layers: 2,
  num_attention_heads: 8,
  num_key_value_heads: 8,
  intermediate_size: 576,
  vocab_size: TOY_VOCAB,
  max_position_embeddings: 32,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  hidden_act: 'silu',
  tie_word_embeddings: true,
  bos_token_id: 1,
  eos_token_id: 2,
};

/**
 * Exact match of the greedy answer, per task. Teacher forcing gives the same verdict as greedy
 * decoding: the greedy answer equals the reference exactly when every answer token is the
 * argmax given the reference prefix.
 */
export function exactMatch(model: PretrainedModel, examples: readonly ToyExample[], batchSize = 256): Record<string, number> {
  const hits = new Map<string, [number, number]>();
  for (let i = 0; i < examples.length; i += batchSize) {
    const batch = examples.slice(i, i + batchSize);
    const wrong = tf.tidy(() => {
      const t = batchTensors(padBatch(batch, PAD));
      const [b, s] = t.inputIds.shape;
      const logits = tf.slice(model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask }).logits, [0, 0, 0], [b, s - 1, TOY_VOCAB]);
      const miss = tf.notEqual(tf.argMax(logits, -1), tf.slice(t.inputIds, [0, 1], [b, s - 1]));
      return tf.sum(tf.mul(tf.cast(miss, 'float32'), tf.slice(t.lossMask, [0, 1], [b, s - 1])), 1).dataSync();
    });
    batch.forEach((e, j) => {
      const [n, ok] = hits.get(e.task) ?? [0, 0];
      hits.set(e.task, [n + 1, ok + (wrong[j] === 0 ? 1 : 0)]);
    });
  }
  const out: Record<string, number> = {};
  let total = 0;
  let correct = 0;
  for (const task of TOY_TASKS) {
    const [n, ok] = hits.get(task) ?? [0, 0];
    out[task] = n ? ok / n : 0;
    total += n;
    correct += ok;
  }
  out.overall = total ? correct / total : 0;
  return out;
}

/** Options of one training run. */
export interface ToyTrainOptions {
  readonly stage: string;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly format: 'pretrain' | 'instruction';
  readonly seed: number;
}

/** Trains the model's trainable variables with AdamW and a linear decay on fresh batches of training-fold examples. */
export function trainToy(engine: Engine, model: PretrainedModel, options: ToyTrainOptions): number {
  return fitSequences(engine, model, { ...options, padId: PAD, batch: (rng) => toyExamples(rng, options.batchSize, options.format, 'train') });
}

/** A fresh toy base model (random weights, seeded). */
export function toyModel(seed: number): PretrainedModel {
  return initModel(parseModelConfig(TOY_MODEL_CONFIG), { seed });
}
