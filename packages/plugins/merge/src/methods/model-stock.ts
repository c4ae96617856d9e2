import { UsageError, type MergeMethodDefinition } from '@aya-fw/core';
import { dot, minus, nonBase, norm, rowLength } from './inputs';

/**
 * mergekit `model_stock` (Model Stock, Jang et al. 2024): with offsets δᵢ = θᵢ − θ₀ from the base,
 * cos θ the mean pairwise cosine of the offsets (norm products clamped to ≥ 1e-6, cosines to
 * [−1, 1]) and N models, t = N·cos / (1 + (N − 1)·cos) and θ = t·mean(θᵢ) + (1 − t)·θ₀; per row
 * with `filter_wise` (a 1-D tensor is one row), else over the flattened tensor.
 */
export const modelStock: MergeMethodDefinition = {
  id: 'model-stock',
  description: 'Model Stock: move from the base toward the models’ mean by t = N·cos/(1+(N−1)·cos) of their offsets',
  requiresBase: true,
  elementwise: false,
  parameters: [{ name: 'filter_wise', default: false }],
  tensorParameters: [],
  mergeTensor(req) {
    const w0 = req.base!;
    const { tensors } = nonBase(req);
    if (tensors.length < 2) throw new UsageError(`model_stock needs the base and at least two other models (tensor ${req.name} has ${tensors.length} others)`);
    const n = w0.length;
    const cols = req.parameters.filter_wise ? rowLength(req.shape, n) : n;
    const offsets = tensors.map((w) => minus(w, w0));
    const N = tensors.length;
    const out = req.out ?? new Float32Array(n);
    for (let start = 0; start < n; start += cols) {
      let sum = 0;
      let pairs = 0;
      for (let i = 0; i < N; i++) {
        for (let j = i + 1; j < N; j++) {
          const prod = norm(offsets[i], start, cols) * norm(offsets[j], start, cols);
          sum += Math.min(1, Math.max(-1, dot(offsets[i], offsets[j], start, cols) / Math.max(prod, 1e-6)));
          pairs++;
        }
      }
      const cos = sum / pairs;
      const t = (N * cos) / (1 + (N - 1) * cos);
      for (let k = start; k < start + cols; k++) {
        let avg = 0;
        for (const w of tensors) avg += w[k];
        out[k] = t * (avg / N) + (1 - t) * w0[k];
      }
    }
    return out;
  },
};
