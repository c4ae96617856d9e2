import type { MergeMethodDefinition } from '@aya-fw/core';

/** mergekit `linear`: θ = Σ wᵢθᵢ / Σ wᵢ (normalize, default true), over every listed model. */
export const linear: MergeMethodDefinition = {
  id: 'linear',
  description: 'Weighted average Σ wᵢθᵢ / Σ wᵢ of the listed models (normalize: true)',
  requiresBase: false,
  elementwise: true,
  parameters: [{ name: 'normalize', default: true }],
  tensorParameters: [{ name: 'weight' }],
  mergeTensor({ tensors, modelParameters, parameters, out: given }) {
    const n = tensors[0].length;
    const out = given ?? new Float32Array(n);
    const weights = modelParameters.map((p) => Number(p.weight));
    const total = weights.reduce((a, b) => a + b, 0);
    const scale = parameters.normalize ? 1 / total : 1;
    out.fill(0);
    for (let m = 0; m < tensors.length; m++) {
      const x = tensors[m];
      const w = weights[m] * scale;
      for (let i = 0; i < n; i++) out[i] += w * x[i];
    }
    return out;
  },
};
