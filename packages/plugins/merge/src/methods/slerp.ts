import type { MergeMethodDefinition } from '@aya-fw/core';
import { theOther } from './inputs';

/**
 * mergekit `slerp` between the base model (t = 0) and one other (t = 1): on the flattened
 * tensors, angle from the normalised vectors (ε 1e-8); |cos| > 0.9995 falls back to lerp.
 */
export function slerp(t: number, v0: Float32Array, v1: Float32Array): Float32Array {
  let n0 = 0;
  let n1 = 0;
  for (let i = 0; i < v0.length; i++) {
    n0 += v0[i] * v0[i];
    n1 += v1[i] * v1[i];
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  const s0n = n0 > 1e-8 ? 1 / n0 : 1;
  const s1n = n1 > 1e-8 ? 1 / n1 : 1;
  let dot = 0;
  for (let i = 0; i < v0.length; i++) dot += v0[i] * s0n * (v1[i] * s1n);
  const out = new Float32Array(v0.length);
  let a: number;
  let b: number;
  if (Math.abs(dot) > 0.9995) {
    a = 1 - t;
    b = t;
  } else {
    const theta0 = Math.acos(dot);
    const sin0 = Math.sin(theta0);
    a = Math.sin(theta0 - theta0 * t) / sin0;
    b = Math.sin(theta0 * t) / sin0;
  }
  for (let i = 0; i < v0.length; i++) out[i] = a * v0[i] + b * v1[i];
  return out;
}

export const slerpMethod: MergeMethodDefinition = {
  id: 'slerp',
  description: 'Spherical interpolation from the base model (t = 0) to one other model (t = 1); lerp when nearly parallel',
  requiresBase: true,
  elementwise: false,
  parameters: [{ name: 't' }],
  tensorParameters: [],
  mergeTensor: (req) => slerp(Number(req.parameters.t), req.base!, theOther(req, 'slerp')),
};
