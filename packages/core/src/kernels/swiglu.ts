import * as tf from '@tensorflow/tfjs';
import { backendHas } from './backend-has';

/** Kernels a backend may register to run silu(gate)·up and its gradient in one pass each. */
export const SWIGLU_KERNEL = 'AyaSwiglu';
export const SWIGLU_GRAD_KERNEL = 'AyaSwigluGrad';

/**
 * silu(gate)·up (the SwiGLU feed-forward's product), differentiable in both, as two fused
 * elementwise kernels. Null when the backend has no such kernels or the shapes differ (the
 * caller composes tensor operations).
 */
export function fusedSwiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor | null {
  const sameShape = gate.shape.length === up.shape.length && gate.shape.every((d, i) => d === up.shape[i]);
  if (!sameShape || gate.dtype !== 'float32' || up.dtype !== 'float32' || !backendHas(SWIGLU_KERNEL, SWIGLU_GRAD_KERNEL)) return null;
  const op = tf.customGrad(((g: tf.Tensor, u: tf.Tensor, save: tf.GradSaveFunc) => {
    save([g, u]);
    return {
      value: tf.engine().runKernel(SWIGLU_KERNEL, { gate: g, up: u }, {}) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(SWIGLU_GRAD_KERNEL, { gate: saved[0], up: saved[1], dy }, {}) as tf.Tensor[],
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(gate, up);
}
