import * as tf from '@tensorflow/tfjs';
import { fusedPickLogSoftmax } from '../../kernels/pick-log-softmax';
import type { PretrainedModel } from '../models/model';

/**
 * log p(token_t | tokens_<t) for t = 1…s−1 from a causal LM, [b, s−1]; zero where the
 * attention mask of token t is 0. Differentiable; call inside `tf.tidy`.
 */
export function tokenLogprobs(model: PretrainedModel, inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D): tf.Tensor2D {
  const [b, s] = inputIds.shape;
  const { logits } = model.forward({ inputIds, attentionMask });
  return logprobsOfTargets(tf.slice(logits, [0, 0, 0], [b, s - 1, -1]) as tf.Tensor3D, tf.slice(inputIds, [0, 1], [b, s - 1]), attentionMask && tf.slice(attentionMask, [0, 1], [b, s - 1]));
}

/** log-softmax of `logits` [b, t, V] picked at `targets` [b, t], times `mask` [b, t] when given. */
export function logprobsOfTargets(logits: tf.Tensor3D, targets: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
  const [b, t, v] = logits.shape;
  const fused = fusedPickLogSoftmax(tf.reshape(logits, [b * t, v]), tf.reshape(targets, [b * t]));
  if (fused) {
    const picked = tf.reshape(fused, [b, t]) as tf.Tensor2D;
    return mask ? (tf.mul(picked, tf.cast(mask, 'float32')) as tf.Tensor2D) : picked;
  }
  const logp = tf.logSoftmax(logits);
  const flat = tf.reshape(logp, [b * t * v]);
  const rowStart = tf.mul(tf.range(0, b * t, 1, 'int32'), tf.scalar(v, 'int32'));
  const index = tf.add(rowStart, tf.reshape(tf.cast(targets, 'int32'), [b * t]));
  const picked = tf.reshape(tf.gather(flat, index), [b, t]) as tf.Tensor2D;
  return mask ? (tf.mul(picked, tf.cast(mask, 'float32')) as tf.Tensor2D) : picked;
}
