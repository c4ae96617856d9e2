import * as tf from '@tensorflow/tfjs';
import { backendHas } from './backend-has';

/** Kernels a backend may register to fuse log-softmax with picking the targets' entries. */
export const PICK_LOG_SOFTMAX_KERNEL = 'AyaPickLogSoftmax';
export const PICK_LOG_SOFTMAX_GRAD_KERNEL = 'AyaPickLogSoftmaxGrad';

/**
 * log-softmax(logits)[r, targets[r]] for logits [rows, vocab], differentiable, without the
 * [rows, vocab] log-probabilities in between: the forward kernel returns the picked values and
 * each row's log-sum-exp; the gradient is dy·(onehot − softmax). Null when the backend has no
 * such kernels (the caller computes it from tensor operations).
 */
export function fusedPickLogSoftmax(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D | null {
  if (logits.dtype !== 'float32' || !backendHas(PICK_LOG_SOFTMAX_KERNEL, PICK_LOG_SOFTMAX_GRAD_KERNEL)) return null;
  const ids = targets.dtype === 'int32' ? targets : tf.cast(targets, 'int32');
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [value, lse] = tf.engine().runKernel(PICK_LOG_SOFTMAX_KERNEL, { x, targets: ids }, {}) as tf.Tensor[];
    // The ids are saved too: a tensor only closed over may be disposed by an inner tf.tidy
    // before the backward pass runs.
    save([x, lse, ids]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(PICK_LOG_SOFTMAX_GRAD_KERNEL, { x: saved[0], targets: saved[2], lse: saved[1], dy }, {}) as tf.Tensor,
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(logits) as tf.Tensor1D;
}
