import { UsageError, type MergeMethodDefinition } from '@aya-fw/core';

/** mergekit `passthrough`: copies the one input tensor (a slice's single source), times `scale` when given. */
export const passthrough: MergeMethodDefinition = {
  id: 'passthrough',
  description: 'Copy the one input of each tensor (layer stacking with slices), multiplied by scale when given',
  requiresBase: false,
  elementwise: true,
  parameters: [],
  tensorParameters: [{ name: 'scale', optional: true }],
  mergeTensor({ tensors, modelParameters, name, out: given }) {
    if (tensors.length !== 1) throw new UsageError(`passthrough takes exactly one model per tensor (tensor ${name} has ${tensors.length}); use slices to stack layers`);
    const scale = modelParameters[0].scale;
    if (scale === undefined) return tensors[0];
    const out = given ?? new Float32Array(tensors[0].length);
    const s = Number(scale);
    for (let i = 0; i < out.length; i++) out[i] = tensors[0][i] * s;
    return out;
  },
};
