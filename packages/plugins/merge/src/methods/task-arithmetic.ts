import type { MergeMethodDefinition, TensorMergeRequest } from '@aya-fw/core';
import { dropAndRescale, trimByMagnitude } from '../sparsify';

/** How a task-arithmetic family member sparsifies and combines task vectors (mergekit's GTA). */
export interface TaskArithmeticVariant {
  readonly sparsify: 'none' | 'magnitude' | 'random';
  /** TIES sign election by the sum of weighted task vectors. */
  readonly signConsensus: boolean;
  readonly defaultNormalize: boolean;
  readonly defaultRescale: boolean;
}

/**
 * mergekit's generalized task arithmetic: task vectors τᵢ = θᵢ − θ_base, optionally sparsified,
 * weighted; with sign consensus only entries agreeing with sign(Σ wᵢτ̂ᵢ) (≥ 0 → +) count, and
 * the divisor is Σ wᵢ over them (0 → 1); normalize divides by it; θ = θ_base + λ·τ.
 */
export function mergeTaskVectors(variant: TaskArithmeticVariant, req: TensorMergeRequest): Float32Array {
  const base = req.base!;
  const n = base.length;
  const normalize = Boolean(req.parameters.normalize);
  const rescale = Boolean(req.parameters.rescale);
  const lambda = Number(req.parameters.lambda ?? 1);
  const weighted: Float32Array[] = [];
  const weights: number[] = [];
  req.tensors.forEach((x, m) => {
    if (m === req.baseIndex) return;
    const p = req.modelParameters[m];
    const density = Number(p.density ?? 1);
    let delta: Float32Array = new Float32Array(n);
    for (let i = 0; i < n; i++) delta[i] = x[i] - base[i];
    if (variant.sparsify === 'magnitude') delta = trimByMagnitude(delta, density);
    if (variant.sparsify === 'random') delta = dropAndRescale(delta, density, rescale, (req.seed + Math.imul(m + 1, 0x9e3779b9) + (req.offset ?? 0)) >>> 0);
    const w = Number(p.weight);
    for (let i = 0; i < n; i++) delta[i] *= w;
    weighted.push(delta);
    weights.push(w);
  });
  const out = req.out ?? new Float32Array(n);
  out.set(base);
  if (weighted.length === 0) return out;
  for (let i = 0; i < n; i++) {
    let mixed = 0;
    let divisor = 0;
    if (variant.signConsensus) {
      let sum = 0;
      for (const d of weighted) sum += d[i];
      const elected = sum >= 0 ? 1 : -1;
      for (let m = 0; m < weighted.length; m++) {
        if (Math.sign(weighted[m][i]) === elected) {
          mixed += weighted[m][i];
          divisor += weights[m];
        }
      }
      if (divisor === 0) divisor = 1;
    } else {
      for (let m = 0; m < weighted.length; m++) mixed += weighted[m][i];
      for (const w of weights) divisor += w;
      if (Math.abs(divisor) < 1e-8) divisor = 1;
    }
    if (normalize) mixed /= divisor;
    out[i] = base[i] + lambda * mixed;
  }
  return out;
}

function taskArithmeticMethod(id: string, description: string, variant: TaskArithmeticVariant): MergeMethodDefinition {
  return {
    id,
    description,
    requiresBase: true,
    // TIES trims to the top entries of the whole tensor; the others work position by position.
    elementwise: variant.sparsify !== 'magnitude',
    parameters: [
      { name: 'normalize', default: variant.defaultNormalize },
      { name: 'rescale', default: variant.defaultRescale },
      { name: 'lambda', default: 1 },
      { name: 'int8_mask', default: false },
    ],
    tensorParameters: [{ name: 'weight' }, { name: 'density', default: 1 }],
    mergeTensor: (req) => mergeTaskVectors(variant, req),
  };
}

export const taskArithmetic = taskArithmeticMethod('task-arithmetic', 'θ_base + λ·Σ wᵢ(θᵢ − θ_base) (normalize: false)', {
  sparsify: 'none',
  signConsensus: false,
  defaultNormalize: false,
  defaultRescale: false,
});

export const ties = taskArithmeticMethod('ties', 'TIES: trim task vectors to density by magnitude, elect signs by sum, disjoint weighted mean', {
  sparsify: 'magnitude',
  signConsensus: true,
  defaultNormalize: true,
  defaultRescale: false,
});

export const dareLinear = taskArithmeticMethod('dare-linear', 'DARE: drop task-vector entries with p = 1 − density, rescale by 1/density, weighted sum', {
  sparsify: 'random',
  signConsensus: false,
  defaultNormalize: false,
  defaultRescale: true,
});

export const dareTies = taskArithmeticMethod('dare-ties', 'DARE drop-and-rescale, then TIES sign election and disjoint weighted sum', {
  sparsify: 'random',
  signConsensus: true,
  defaultNormalize: false,
  defaultRescale: true,
});
