import { batchTensors, padBatch, Rng, tf, z, type EvaluatorDefinition, type PretrainedModel, type TokenizedSequence } from '@aya-fw/core';

/**
 * Three skills over strings of a 10-letter alphabet, each answered with one letter, asked with
 * a task marker: `<bos> x <T_t> f_t(x) <eos>`. Checkpoints fine-tuned on different mixtures of
 * them make the pool of the "Recycle Them" reproduction; a task's score is the exact match of
 * the greedy answer on held-out inputs.
 */
export const RECYCLE_TASKS = ['first', 'last', 'max'] as const;
export type RecycleTask = (typeof RECYCLE_TASKS)[number];

const PAD = 0;
const BOS = 1;
const EOS = 2;
const LETTER0 = 3;
const LETTERS = 10;
const MARKER0 = LETTER0 + LETTERS;
export const RECYCLE_VOCAB = 16;

const SKILLS: Record<RecycleTask, (x: readonly number[]) => number> = {
  first: (x) => x[0],
  last: (x) => x[x.length - 1],
  max: (x) => Math.max(...x),
};

/** The base's architecture: a Llama-style decoder, d 64, 2 layers, 16-token vocabulary. */
export const RECYCLE_MODEL_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  intermediate_size: 128,
  vocab_size: RECYCLE_VOCAB,
  max_position_embeddings: 16,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  hidden_act: 'silu',
  tie_word_embeddings: true,
  bos_token_id: BOS,
  eos_token_id: EOS,
  pad_token_id: PAD,
};

/** One example of a task; inputs of the held-out fold (a hash of x) never appear in training. */
export function taskExample(rng: Rng, task: RecycleTask, fold: 'train' | 'heldout'): TokenizedSequence & { task: RecycleTask } {
  for (;;) {
    const length = 3 + Math.floor(rng.next() * 4);
    const x = Array.from({ length }, () => Math.floor(rng.next() * LETTERS));
    const held = x.reduce((h, v) => (h * 31 + v + 7) % 1009, length) % 4 === 0;
    if (held !== (fold === 'heldout')) continue;
    const prompt = [BOS, ...x.map((v) => LETTER0 + v), MARKER0 + RECYCLE_TASKS.indexOf(task)];
    const ids = [...prompt, LETTER0 + SKILLS[task](x), EOS];
    return { task, ids, lossMask: ids.map((_, i) => (i >= prompt.length ? 1 : 0)) };
  }
}

/** Exact match of the answer letter (argmax given the prompt) on `examples`. */
export function taskAccuracy(model: PretrainedModel, examples: readonly TokenizedSequence[]): number {
  const hits = tf.tidy(() => {
    const t = batchTensors(padBatch(examples, PAD));
    const [b, s] = t.inputIds.shape;
    const logits = tf.slice(model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask }).logits, [0, 0, 0], [b, s - 1, -1]);
    const right = tf.equal(tf.argMax(logits, -1), tf.slice(t.inputIds, [0, 1], [b, s - 1]));
    // Only the answer position counts (EOS is not part of the skill).
    const answer = tf.tensor2d(examples.map((e) => Array.from({ length: s - 1 }, (_, i) => (i + 1 === e.lossMask.indexOf(1) ? 1 : 0))), [b, s - 1]);
    return tf.sum(tf.mul(tf.cast(right, 'float32'), answer)).dataSync()[0];
  });
  return hits / examples.length;
}

/** `recycle-task`: held-out exact match on one of the reproduction's toy tasks (higher is better). */
export const recycleTaskEvaluator: EvaluatorDefinition<{ task: RecycleTask; examples: number; seed: number }> = {
  id: 'recycle-task',
  description: "Held-out exact match on one toy task of `repro recycle` (first, last or max letter of a string)",
  direction: 'higher',
  configSchema: z.object({ task: z.enum(RECYCLE_TASKS), examples: z.number().int().positive().default(256), seed: z.number().int().default(7) }).strict(),
  open(config) {
    const rng = new Rng(config.seed + RECYCLE_TASKS.indexOf(config.task));
    const examples = Array.from({ length: config.examples }, () => taskExample(rng, config.task, 'heldout'));
    return { evaluate: (model) => taskAccuracy(model, examples) };
  },
};
