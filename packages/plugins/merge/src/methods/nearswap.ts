import type { MergeMethodDefinition } from '@aya-fw/core';
import { theOther } from './inputs';

/** mergekit `nearswap`: w = clamp(t / max(|a − b|, 1e-6), 0, 1), θ = w·b + (1 − w)·a with a the base. */
export const nearswap: MergeMethodDefinition = {
  id: 'nearswap',
  description: 'Take the other model’s value where it is within about t of the base’s: w = clamp(t/|a−b|, 0, 1)',
  requiresBase: true,
  elementwise: true,
  parameters: [{ name: 't' }],
  tensorParameters: [],
  mergeTensor(req) {
    const a = req.base!;
    const b = theOther(req, 'nearswap');
    const t = Number(req.parameters.t);
    const out = req.out ?? new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const w = Math.min(1, Math.max(0, t / Math.max(Math.abs(a[i] - b[i]), 1e-6)));
      out[i] = w * b[i] + (1 - w) * a[i];
    }
    return out;
  },
};
