import * as tf from '@tensorflow/tfjs';
import { backendHas } from './backend-has';

/** Adam's hyper-parameters for one update (PyTorch's semantics). */
export interface AdamHyper {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** λ: added to the gradient as λθ (Adam), or decoupled: θ·(1 − lr·λ) first (AdamW). */
  readonly weightDecay: number;
  readonly decoupled: boolean;
  /** The update's number, from 1 (bias correction). */
  readonly step: number;
}

/** The kernel a backend may register to run {@link adamUpdate} in one pass. */
export const FUSED_ADAM_KERNEL = 'AyaFusedAdam';

/**
 * One Adam update of `param` with `gradient` and state `m`, `v`; returns the new parameter and
 * state (call inside `tf.tidy`). Runs as one fused kernel where the backend registered
 * {@link FUSED_ADAM_KERNEL} (wasm with aya-fw's native kernels), else as tensor operations.
 */
export function adamUpdate(param: tf.Tensor, gradient: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamHyper): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const c1 = 1 - Math.pow(h.beta1, h.step);
  const c2 = Math.sqrt(1 - Math.pow(h.beta2, h.step));
  if ([param, gradient, m, v].every((t) => t.dtype === 'float32') && backendHas(FUSED_ADAM_KERNEL)) {
    const attrs = {
      stepSize: h.learningRate / c1,
      beta1: h.beta1,
      beta2: h.beta2,
      epsilon: h.epsilon,
      biasCorrection2: c2,
      weightDecay: h.decoupled ? 0 : h.weightDecay,
      decayFactor: h.decoupled ? 1 - h.learningRate * h.weightDecay : 1,
    };
    const [p, m2, v2] = tf.engine().runKernel(FUSED_ADAM_KERNEL, { param, gradient, m, v }, attrs) as tf.Tensor[];
    return { param: p, m: m2, v: v2 };
  }
  let g = gradient;
  if (h.weightDecay > 0 && !h.decoupled) g = tf.add(g, tf.mul(h.weightDecay, param));
  const m2 = tf.add(tf.mul(h.beta1, m), tf.mul(1 - h.beta1, g));
  const v2 = tf.add(tf.mul(h.beta2, v), tf.mul(1 - h.beta2, tf.square(g)));
  const theta = h.weightDecay > 0 && h.decoupled ? tf.mul(param, 1 - h.learningRate * h.weightDecay) : param;
  const denom = tf.add(tf.div(tf.sqrt(v2), c2), h.epsilon);
  return { param: tf.sub(theta, tf.mul(h.learningRate / c1, tf.div(m2, denom))), m: m2, v: v2 };
}
