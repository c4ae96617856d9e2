import { axpy, scale, type MergeMethodDefinition } from '@aya-fw/core';

/** mergekit `linear`: θ = Σ wᵢθᵢ / Σ wᵢ (normalize, default true), over every listed model. */
export const linear: MergeMethodDefinition = {
  id: 'linear',
  description: 'Weighted average Σ wᵢθᵢ / Σ wᵢ of the listed models (normalize: true)',
  requiresBase: false,
  elementwise: true,
  parameters: [{ name: 'normalize', default: true }],
  tensorParameters: [{ name: 'weight' }],
  linearCoefficients({ modelParameters, parameters }) {
    const weights = modelParameters.map((p) => Number(p.weight));
    const norm = parameters.normalize ? 1 / weights.reduce((a, b) => a + b, 0) : 1;
    return weights.map((w) => w * norm);
  },
  mergeTensor(req) {
    const { tensors, out: given } = req;
    const out = given ?? new Float32Array(tensors[0].length);
    const c = linear.linearCoefficients!(req)!;
    scale(c[0], tensors[0], out);
    for (let m = 1; m < tensors.length; m++) axpy(c[m], tensors[m], out);
    return out;
  },
};
