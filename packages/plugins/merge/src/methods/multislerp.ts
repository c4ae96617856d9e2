import { UsageError, type MergeMethodDefinition } from '@aya-fw/core';
import { dot, minus, nonBase, norm, sumOfSquares, times } from './inputs';

/**
 * mergekit `multislerp`: barycentric interpolation on the hypersphere. The (base-relative)
 * flattened tensors are normalised; their weighted mean direction m is the tangent point; the
 * weighted tangent vectors are summed and mapped back by the exponential map; the result is
 * scaled by the weighted mean norm. Two antipodal inputs fall back to the weighted sum.
 */
export const multislerp: MergeMethodDefinition = {
  id: 'multislerp',
  description: 'Weighted spherical mean of any number of models (tangent space at the mean direction), of task vectors when a base is given',
  requiresBase: false,
  elementwise: false,
  parameters: [{ name: 'normalize_weights', default: true }, { name: 'eps', default: 1e-8 }],
  tensorParameters: [{ name: 'weight' }],
  mergeTensor(req) {
    const { tensors: inputs, parameters } = nonBase(req);
    if (inputs.length === 1) return inputs[0];
    const base = req.base;
    const eps = Number(req.parameters.eps);
    const n = inputs[0].length;
    const xs = inputs.map((x) => (base ? minus(x, base) : x));
    let w = parameters.map((p) => Number(p.weight));
    if (req.parameters.normalize_weights) {
      const total = w.reduce((a, b) => a + b, 0);
      w = w.map((v) => v / total);
    }
    const norms = xs.map((x) => norm(x));
    const units = xs.map((x, k) => times(x, 1 / (norms[k] + eps)));
    const mean = new Float64Array(n);
    units.forEach((u, k) => {
      for (let i = 0; i < n; i++) mean[i] += u[i] * w[k];
    });
    const meanNorm = Math.sqrt(sumOfSquares(mean));
    const out = req.out ?? new Float32Array(n);
    if (meanNorm < eps) {
      if (xs.length !== 2) throw new UsageError(`multislerp: the weighted directions of tensor ${req.name} cancel out (antipodal inputs with balancing weights); use other weights`);
      for (let i = 0; i < n; i++) out[i] = xs[0][i] * w[0] + xs[1][i] * w[1] + (base ? base[i] : 0);
      return out;
    }
    const m = new Float32Array(n);
    for (let i = 0; i < n; i++) m[i] = mean[i] / meanNorm;
    const tangent = new Float64Array(n);
    units.forEach((u, k) => {
      const d = dot(u, m);
      for (let i = 0; i < n; i++) tangent[i] += (u[i] - d * m[i]) * w[k];
    });
    const tn = Math.sqrt(sumOfSquares(tangent)) + eps;
    const avgNorm = norms.reduce((s, v, k) => s + v * w[k], 0);
    const c = Math.cos(tn);
    const s = Math.sin(tn) / tn;
    for (let i = 0; i < n; i++) out[i] = (m[i] * c + tangent[i] * s) * avgNorm + (base ? base[i] : 0);
    return out;
  },
};
