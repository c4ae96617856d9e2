import { UsageError, type MergeMethodDefinition } from '@aya-fw/core';
import { minus, nonBase } from './inputs';

/**
 * mergekit's `nuslerp` kernel: slerp from v0 to v1 at t on each vector — the flattened tensor
 * (`flatten`), its rows (the last axis) or its columns (`rowWise`, mergekit's dim 0) — with
 * vectors normalised by max(‖v‖, 1e-7) and lerp where |sin θ| < 1e-8.
 */
export function nuslerpVectors(t: number, v0: Float32Array, v1: Float32Array, shape: readonly number[], rowWise: boolean, flatten: boolean): Float32Array {
  const n = v0.length;
  const out = new Float32Array(n);
  // A vector is `count` entries `stride` apart, starting at each of `starts`.
  let count = n;
  let stride = 1;
  let starts = [0];
  if (!flatten && shape.length >= 2) {
    const cols = shape[shape.length - 1];
    const rows = n / cols;
    if (rowWise && shape.length === 2) {
      count = rows;
      stride = cols;
      starts = Array.from({ length: cols }, (_, c) => c);
    } else {
      count = cols;
      starts = Array.from({ length: rows }, (_, r) => r * cols);
    }
  }
  for (const s of starts) {
    let n0 = 0;
    let n1 = 0;
    let d = 0;
    for (let k = 0, i = s; k < count; k++, i += stride) {
      n0 += v0[i] * v0[i];
      n1 += v1[i] * v1[i];
      d += v0[i] * v1[i];
    }
    const cos = d / (Math.max(Math.sqrt(n0), 1e-7) * Math.max(Math.sqrt(n1), 1e-7));
    const theta = Math.acos(Math.min(1, Math.max(-1, cos)));
    const sin = Math.sin(theta);
    const colinear = Math.abs(sin) < 1e-8;
    const a = colinear ? 1 - t : Math.sin((1 - t) * theta) / sin;
    const b = colinear ? t : Math.sin(t * theta) / sin;
    for (let k = 0, i = s; k < count; k++, i += stride) out[i] = a * v0[i] + b * v1[i];
  }
  return out;
}

/**
 * mergekit `nuslerp`: slerp between two models at t = w₁/(w₀ + w₁) (0.5 when the weights sum
 * to about 0); with a base model, of the task vectors, added back to the base.
 */
export const nuslerp: MergeMethodDefinition = {
  id: 'nuslerp',
  description: 'Slerp between two models at t = w₁/(w₀+w₁), per row, column or flattened; of task vectors when a base is given',
  requiresBase: false,
  elementwise: false,
  parameters: [{ name: 'nuslerp_row_wise', default: false }, { name: 'nuslerp_flatten', default: true }],
  tensorParameters: [{ name: 'weight' }],
  mergeTensor(req) {
    const { tensors, parameters } = nonBase(req);
    if (tensors.length !== 2) throw new UsageError(`nuslerp merges exactly two models besides an optional base (tensor ${req.name} has ${tensors.length})`);
    const [w0, w1] = parameters.map((p) => Number(p.weight));
    const t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
    const rowWise = Boolean(req.parameters.nuslerp_row_wise);
    const flatten = Boolean(req.parameters.nuslerp_flatten);
    const base = req.base;
    if (!base) return nuslerpVectors(t, tensors[0], tensors[1], req.shape, rowWise, flatten);
    const out = nuslerpVectors(t, minus(tensors[0], base), minus(tensors[1], base), req.shape, rowWise, flatten);
    for (let i = 0; i < out.length; i++) out[i] += base[i];
    return out;
  },
};
