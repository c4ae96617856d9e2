import { Rng, type MergeMethodDefinition } from '@aya-fw/core';
import { rowLength, theOther } from './inputs';

/** Values at quantiles q of `values` as mergekit takes them: sorted[⌊q·(n − 1)⌋], over a seeded sample of 10⁶ when larger. */
function quantiles(values: Float32Array, qs: readonly number[], seed: number): number[] {
  let sample = values;
  if (values.length > 1e6) {
    // A partial Fisher–Yates shuffle: 10⁶ distinct positions, like torch.randperm(n)[:10⁶].
    const idx = Uint32Array.from({ length: values.length }, (_, i) => i);
    const rng = new Rng(seed);
    sample = new Float32Array(1e6);
    for (let i = 0; i < 1e6; i++) {
      const j = i + Math.floor(rng.next() * (values.length - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      sample[i] = values[idx[i]];
    }
  }
  const sorted = Float32Array.from(sample).sort();
  return qs.map((q) => sorted[Math.floor(q * (sorted.length - 1))]);
}

/**
 * mergekit `arcee_fusion`: importance = |θ − θ_base| × KL(softmax(θ) ‖ softmax(θ_base)) per row
 * (softmax over the last axis, +1e-8); the other model's change is taken where the importance
 * reaches median + 1.5·IQR of all importances, the base kept elsewhere.
 */
export const arceeFusion: MergeMethodDefinition = {
  id: 'arcee-fusion',
  description: 'Arcee Fusion: take the other model’s changes only where |Δ|·KL(softmax) is an outlier (≥ median + 1.5·IQR)',
  requiresBase: true,
  elementwise: false,
  parameters: [],
  tensorParameters: [],
  mergeTensor(req) {
    const a = req.base!;
    const b = theOther(req, 'arcee_fusion');
    const n = a.length;
    const cols = rowLength(req.shape, n);
    const importance = new Float32Array(n);
    for (let start = 0; start < n; start += cols) {
      const softmax = (x: Float32Array) => {
        let max = -Infinity;
        for (let i = start; i < start + cols; i++) max = Math.max(max, x[i]);
        let z = 0;
        for (let i = start; i < start + cols; i++) z += Math.exp(x[i] - max);
        return (i: number) => Math.exp(x[i] - max) / z + 1e-8;
      };
      const p = softmax(b);
      const q = softmax(a);
      let kl = 0;
      for (let i = start; i < start + cols; i++) kl += p(i) * Math.log(p(i) / q(i));
      for (let i = start; i < start + cols; i++) importance[i] = Math.abs(b[i] - a[i]) * kl;
    }
    const [median, q1, q3] = quantiles(importance, [0.5, 0.25, 0.75], req.seed);
    const threshold = median + 1.5 * (q3 - q1);
    const out = req.out ?? new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = importance[i] >= threshold ? b[i] : a[i];
    return out;
  },
};
