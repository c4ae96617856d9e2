import * as tf from '@tensorflow/tfjs';
import { logprobsOfTargets } from '../hf/generation/logprobs';
import type { PretrainedModel } from '../hf/models/model';
import type { TokenizedSequence } from './tokenize';

/** A right-padded batch of sequences with its masks, as plain arrays. */
export interface TokenBatch {
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
  readonly lossMask: number[][];
}

/** Right-pads sequences to the longest with `padId`. */
export function padBatch(sequences: readonly TokenizedSequence[], padId: number): TokenBatch {
  const width = Math.max(1, ...sequences.map((s) => s.ids.length));
  const pad = <T>(row: readonly T[], fill: T) => [...row, ...Array.from({ length: width - row.length }, () => fill)];
  return {
    inputIds: sequences.map((s) => pad(s.ids, padId)),
    attentionMask: sequences.map((s) => pad(s.ids.map(() => 1), 0)),
    lossMask: sequences.map((s) => pad(s.lossMask, 0)),
  };
}

/** The batch as tensors ([b, s] int32 ids and masks). Call inside `tf.tidy`. */
export function batchTensors(batch: TokenBatch): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; lossMask: tf.Tensor2D } {
  const shape: [number, number] = [batch.inputIds.length, batch.inputIds[0].length];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
    lossMask: tf.tensor2d(batch.lossMask, shape, 'float32'),
  };
}

/**
 * Per-sequence log-likelihoods of the tokens the loss mask covers: Σ_t log p(x_t | x_<t) and
 * the number of such tokens, [b] each. Differentiable; call inside `tf.tidy`.
 */
export function sequenceLogprobs(model: PretrainedModel, batch: TokenBatch): { sums: tf.Tensor1D; lengths: tf.Tensor1D; tokenLogps: tf.Tensor2D; mask: tf.Tensor2D } {
  const t = batchTensors(batch);
  const [b, s] = t.inputIds.shape;
  const { logits } = model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask });
  const mask = tf.slice(t.lossMask, [0, 1], [b, s - 1]) as tf.Tensor2D;
  const tokenLogps = logprobsOfTargets(tf.slice(logits, [0, 0, 0], [b, s - 1, -1]) as tf.Tensor3D, tf.slice(t.inputIds, [0, 1], [b, s - 1]), mask);
  return { sums: tf.sum(tokenLogps, 1) as tf.Tensor1D, lengths: tf.sum(mask, 1) as tf.Tensor1D, tokenLogps, mask };
}
