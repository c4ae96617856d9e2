import * as tf from '@tensorflow/tfjs';
import { backendHas } from './backend-has';

/** Kernels a backend may register to run attention's softmax(scale·scores + bias) and its gradient. */
export const ATTENTION_SOFTMAX_KERNEL = 'AyaScaledBiasedSoftmax';
export const ATTENTION_SOFTMAX_GRAD_KERNEL = 'AyaScaledSoftmaxGrad';

/**
 * softmax(scale·scores + bias) over the last axis for scores [b, h, s, t] and an additive bias
 * [b or 1, 1, s, t], differentiable in the scores, as two fused kernels. Null when the backend
 * has no such kernels or the shapes are other (the caller composes tensor operations).
 */
export function fusedAttentionSoftmax(scores: tf.Tensor, bias: tf.Tensor, scale: number): tf.Tensor | null {
  if (scores.rank !== 4 || bias.rank !== 4 || scores.dtype !== 'float32' || bias.dtype !== 'float32') return null;
  const [b, , s, t] = scores.shape;
  const [bb, bh, bs, bt] = bias.shape;
  if (!(bb === 1 || bb === b) || bh !== 1 || bs !== s || bt !== t) return null;
  if (!backendHas(ATTENTION_SOFTMAX_KERNEL, ATTENTION_SOFTMAX_GRAD_KERNEL)) return null;
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    // The bias is a constant of the forward pass only: the gradient needs just the output.
    const y = tf.engine().runKernel(ATTENTION_SOFTMAX_KERNEL, { scores: x, bias }, { scale }) as tf.Tensor;
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(ATTENTION_SOFTMAX_GRAD_KERNEL, { y: saved[0], dy }, { scale }) as tf.Tensor };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(scores);
}
