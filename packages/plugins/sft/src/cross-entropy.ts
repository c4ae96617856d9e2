import { tf, z, type LossDefinition } from '@aya-fw/core';

/**
 * Per-token log-likelihoods of the targets of a batch of sequences (`inputKind: 'token-logps'`):
 * `logps[b, t]` = log π(x_{t+1} | x_≤t), zero where `mask` is 0.
 */
export interface TokenLogps {
  readonly logps: tf.Tensor2D;
  /** 1 on the tokens the loss covers (completion or assistant tokens), 0 elsewhere. */
  readonly mask: tf.Tensor2D;
}

export const CrossEntropyConfigSchema = z.object({}).strict();

/** Causal-LM cross-entropy: −Σ log π / Σ mask over the covered tokens of the batch (transformers' token mean). */
export const crossEntropy: LossDefinition<TokenLogps, z.infer<typeof CrossEntropyConfigSchema>> = {
  id: 'cross-entropy',
  description: 'Causal-LM cross-entropy, averaged over the covered tokens of the batch',
  inputKind: 'token-logps',
  configSchema: CrossEntropyConfigSchema,
  compute: ({ logps, mask }) => ({ loss: tf.neg(tf.div(tf.sum(logps), tf.maximum(tf.sum(mask), 1))) as tf.Scalar }),
};
