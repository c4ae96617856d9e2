import { batchTensors, generate, logprobsOfTargets, padBatch, tf, type DataRow, type PretrainedModel, type Tokenizer } from '@aya-fw/core';

/** A prompt row of an online trainer, tokenized. */
export interface OnlinePrompt {
  readonly row: DataRow & { prompt: string };
  readonly ids: readonly number[];
  /** `prompts.jsonl row 12`, for errors. */
  readonly where: string;
}

/** One generation batch: every prompt repeated k times (prompt-major), its completions and their token layout. */
export interface Rollout {
  readonly prompts: readonly OnlinePrompt[];
  /** New tokens of each completion (its EOS included when it stopped on one). */
  readonly completionIds: readonly (readonly number[])[];
  readonly texts: readonly string[];
  /** Cut at `maxNewTokens` rather than stopped on a stop token. */
  readonly truncated: readonly boolean[];
  /** prompt + completion ids, with the loss mask on completion tokens. */
  readonly sequences: readonly { ids: number[]; lossMask: number[] }[];
}

/** Sampling options of a rollout. */
export interface RolloutOptions {
  readonly k: number;
  readonly maxNewTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly stopIds: readonly number[];
  readonly padId: number;
  readonly seed: number;
}

/** Samples k completions of each prompt in one batch with the KV cache (no gradients); texts are decoded when a tokenizer is given. */
export function rollout(model: PretrainedModel, tokenizer: Tokenizer | undefined, prompts: readonly OnlinePrompt[], o: RolloutOptions): Rollout {
  const repeated = prompts.flatMap((p) => Array.from({ length: o.k }, () => p));
  const out = generate(
    model,
    repeated.map((p) => p.ids),
    { maxNewTokens: o.maxNewTokens, doSample: true, temperature: o.temperature, topP: o.topP, topK: o.topK, seed: o.seed, eosTokenIds: o.stopIds, padTokenId: o.padId },
  );
  const stops = new Set(o.stopIds);
  return {
    prompts: repeated,
    completionIds: out.tokens,
    texts: tokenizer ? out.tokens.map((t) => tokenizer.decode(t.filter((id) => !stops.has(id)), { skipSpecialTokens: true })) : [],
    truncated: out.finished.map((f) => !f),
    sequences: repeated.map((p, i) => ({ ids: [...p.ids, ...out.tokens[i]], lossMask: [...p.ids.map(() => 0), ...out.tokens[i].map(() => 1)] })),
  };
}

/** Per-token log-probs of the targets [b, s−1] (zero off the completion) and the mask, as tensors; call inside `tf.tidy`. */
export function sequenceLogps(model: PretrainedModel, sequences: Rollout['sequences'], padId: number): { logps: tf.Tensor2D; mask: tf.Tensor2D; logits: tf.Tensor3D } {
  const t = batchTensors(padBatch(sequences, padId));
  const [b, s] = t.inputIds.shape;
  const { logits } = model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask });
  const mask = tf.cast(tf.slice(t.lossMask, [0, 1], [b, s - 1]), 'float32') as tf.Tensor2D;
  const shifted = tf.slice(logits, [0, 0, 0], [b, s - 1, -1]) as tf.Tensor3D;
  return { logps: logprobsOfTargets(shifted, tf.slice(t.inputIds, [0, 1], [b, s - 1]), mask), mask, logits: shifted };
}

/** Constant log-probs of a batch under a model (no gradient is taken), with the policy's mean token entropy when asked. */
export function frozenLogps(model: PretrainedModel, sequences: Rollout['sequences'], padId: number, withEntropy = false): { values: Float32Array; shape: [number, number]; entropy?: number } {
  let entropy: number | undefined;
  const values = tf.tidy(() => {
    const { logps, mask, logits } = sequenceLogps(model, sequences, padId);
    if (withEntropy) {
      const lp = tf.logSoftmax(logits);
      const h = tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 2));
      entropy = tf.div(tf.sum(tf.mul(h, mask)), tf.maximum(tf.sum(mask), 1)).dataSync()[0];
    }
    return logps;
  });
  const shape = values.shape as [number, number];
  const data = values.dataSync() as Float32Array;
  values.dispose();
  return { values: data, shape, entropy };
}
