import * as tf from '@tensorflow/tfjs';
import type { RopeConfig } from './config';

/**
 * Inverse frequencies θ^(−2i/d) for i < d/2, with `linear` or Llama 3.1 (`llama3`) scaling,
 * as transformers' `modeling_rope_utils` computes them.
 */
export function inverseFrequencies(rope: RopeConfig, dim: number): Float32Array {
  const half = dim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    // transformers computes base ** (arange(0, dim, 2).float() / dim) in f32.
    out[i] = Math.fround(1 / Math.fround(Math.pow(rope.theta, Math.fround((2 * i) / dim))));
  }
  if (rope.type === 'linear') for (let i = 0; i < half; i++) out[i] = out[i] / rope.factor;
  if (rope.type === 'llama3') {
    const lowWavelen = rope.originalMaxPositions / rope.lowFreqFactor;
    const highWavelen = rope.originalMaxPositions / rope.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const freq = out[i];
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen < highWavelen) continue;
      if (wavelen > lowWavelen) {
        out[i] = freq / rope.factor;
        continue;
      }
      const smooth = (rope.originalMaxPositions / wavelen - rope.lowFreqFactor) / (rope.highFreqFactor - rope.lowFreqFactor);
      out[i] = (1 - smooth) * (freq / rope.factor) + smooth * freq;
    }
  }
  return out;
}

/** How the rotated pairs are laid out: Llama's halves or Cohere's interleaved pairs. */
export type RopeLayout = 'half' | 'interleaved';

/** cos and sin tables for positions [b, s], shaped [b, 1, s, d] to broadcast over heads. */
export function ropeTables(invFreq: tf.Tensor1D, positions: tf.Tensor2D, layout: RopeLayout): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, s] = positions.shape;
    const half = invFreq.shape[0];
    const freqs = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, s, 1]), tf.reshape(invFreq, [1, 1, half]));
    const emb =
      layout === 'half'
        ? tf.concat([freqs, freqs], -1)
        : tf.reshape(tf.stack([freqs, freqs], -1), [b, s, 2 * half]);
    const shape: [number, number, number, number] = [b, 1, s, 2 * half];
    return { cos: tf.reshape(tf.cos(emb), shape), sin: tf.reshape(tf.sin(emb), shape) };
  });
}

/**
 * rotate_half as a [d, d] matrix of 0 and ±1: x·R is (−x₂, x₁) for Llama's halves and
 * (−x₂ₚ, x₁ₚ) pair by pair for the interleaved layout. A product by R is exact (one non-zero
 * term per output) and, unlike split + concat, one fast kernel forward and backward.
 */
export function rotationMatrix(d: number, layout: RopeLayout): tf.Tensor2D {
  const r = new Float32Array(d * d);
  const half = d / 2;
  for (let p = 0; p < half; p++) {
    // output column ← input row: rotated[j] = Σᵢ x[i]·R[i, j]
    const [lo, hi] = layout === 'half' ? [p, p + half] : [2 * p, 2 * p + 1];
    r[hi * d + lo] = -1;
    r[lo * d + hi] = 1;
  }
  return tf.tensor2d(r, [d, d]);
}

/** Rotates `x` [b, h, s, d] by the tables: x·cos + rotate_half(x)·sin. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D, layout: RopeLayout): tf.Tensor4D {
  const [b, h, s, d] = x.shape;
  const rotated = tf.reshape(tf.matMul(tf.reshape(x, [b * h * s, d]), rotationMatrix(d, layout)), [b, h, s, d]);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
}
