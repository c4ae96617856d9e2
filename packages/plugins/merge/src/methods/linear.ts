import { axpy, scale, type MergeMethodDefinition } from '@aya-fw/core';

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
    const norm = parameters.normalize ? 1 / total : 1;
    scale(weights[0] * norm, tensors[0], out);
    for (let m = 1; m < tensors.length; m++) axpy(weights[m] * norm, tensors[m], out);
    return out;
  },
};
