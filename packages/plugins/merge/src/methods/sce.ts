import type { MergeMethodDefinition } from '@aya-fw/core';
import { kthLargestMagnitude } from '../sparsify';
import { minus, nonBase, sumOfSquares } from './inputs';

/**
 * mergekit `sce` (Select, Calculate, Erase; FuseChat 2.0): task vectors; with select_topk < 1,
 * only the ⌊select_topk·(positions of non-zero variance)⌋ positions of largest variance across
 * models are kept; each model weighs mean(τ²) / Σ mean(τ²) (equal when that sum is < 1e-6);
 * entries against the elected sign (sum) are erased; θ = θ_base + Σ wτ / max(Σ w, 1e-6) per entry.
 */
export const sce: MergeMethodDefinition = {
  id: 'sce',
  description: 'SCE: keep the positions of highest variance across models, weigh models by mean τ², erase minority signs',
  requiresBase: true,
  elementwise: false,
  parameters: [{ name: 'select_topk', default: 1 }, { name: 'int8_mask', default: false }],
  tensorParameters: [],
  checkParameters: ({ parameters }) => (Number(parameters.select_topk) >= 0 && Number(parameters.select_topk) <= 1 ? undefined : `select_topk ${parameters.select_topk} is outside [0, 1]`),
  mergeTensor(req) {
    const base = req.base!;
    const { tensors } = nonBase(req);
    const n = base.length;
    const out = req.out ?? new Float32Array(n);
    out.set(base);
    if (tensors.length === 0) return out;
    const tvs = tensors.map((x) => minus(x, base));
    const density = Number(req.parameters.select_topk);
    if (density < 1) {
      const variance = new Float32Array(n);
      let nonzero = 0;
      for (let i = 0; i < n; i++) {
        let mean = 0;
        for (const tv of tvs) mean += tv[i];
        mean /= tvs.length;
        let v = 0;
        for (const tv of tvs) v += (tv[i] - mean) ** 2;
        variance[i] = v / tvs.length;
        if (variance[i] !== 0) nonzero++;
      }
      const k = density <= 0 ? 0 : Math.floor(nonzero * density);
      const threshold = k > 0 ? kthLargestMagnitude(variance, k) : Infinity;
      let above = 0;
      for (let i = 0; i < n; i++) if (variance[i] > threshold) above++;
      let equalLeft = k - above;
      for (let i = 0; i < n; i++) {
        const keep = variance[i] > threshold || (variance[i] === threshold && equalLeft-- > 0);
        if (!keep) for (const tv of tvs) tv[i] = 0;
      }
    }
    const energy = tvs.map((tv) => sumOfSquares(tv) / n);
    const total = energy.reduce((a, b) => a + b, 0);
    const weights = Math.abs(total) < 1e-6 ? tvs.map(() => 1 / tvs.length) : energy.map((e) => e / total);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (const tv of tvs) sum += tv[i];
      const elected = sum >= 0 ? 1 : -1;
      let mixed = 0;
      let divisor = 0;
      tvs.forEach((tv, m) => {
        if (Math.sign(tv[i]) !== elected) return;
        mixed += tv[i] * weights[m];
        divisor += weights[m];
      });
      out[i] = base[i] + mixed / Math.max(divisor, 1e-6);
    }
    return out;
  },
};
