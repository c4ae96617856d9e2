import * as tf from '@tensorflow/tfjs';
import { backendHas } from './backend-has';

/** Kernels a backend may register to run RMSNorm and its gradient in one pass each. */
export const RMS_NORM_KERNEL = 'AyaRmsNorm';
export const RMS_NORM_GRAD_KERNEL = 'AyaRmsNormGrad';

/**
 * RMSNorm over the last axis, x / √(mean(x²) + ε) · w, differentiable in x and w, as two fused
 * kernels (forward, and a gradient from each row's saved 1/√(mean(x²) + ε)). Null when the
 * backend has no such kernels (the caller composes tensor operations).
 */
export function fusedRmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor | null {
  if (x.dtype !== 'float32' || weight.dtype !== 'float32' || !backendHas(RMS_NORM_KERNEL, RMS_NORM_GRAD_KERNEL)) return null;
  const op = tf.customGrad(((input: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, rstd] = tf.engine().runKernel(RMS_NORM_KERNEL, { x: input, weight: w }, { eps }) as tf.Tensor[];
    save([input, w, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(RMS_NORM_GRAD_KERNEL, { x: saved[0], weight: saved[1], rstd: saved[2], dy }, {}) as tf.Tensor[],
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(x, weight);
}
