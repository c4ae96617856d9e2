import type { RewardValue } from '@aya-fw/core';

/**
 * The estimators of "Back to Basics" (Ahmadian et al. 2024) and GRPO, on one generation batch laid
 * out prompt-major: completions `g·k … g·k + k − 1` share prompt `g`. A `null` reward (no reward
 * applied) is left out of every mean and gets advantage 0, as TRL does.
 */

/** Mean and unbiased standard deviation of the non-null values (two passes, for stability). */
export function meanStd(values: readonly RewardValue[]): { mean: number; std: number; n: number } {
  const xs = values.filter((v): v is number => v !== null);
  const n = xs.length;
  if (n === 0) return { mean: 0, std: 0, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** The sequence-level KL-shaped reward R = r − β·kl (paper Eq. 3–4; `kl` = Σ_t log π_old − log π_ref, no gradient). */
export function klShapedRewards(rewards: readonly RewardValue[], kl: readonly number[], beta: number): RewardValue[] {
  return rewards.map((r, i) => (r === null ? null : r - beta * kl[i]));
}

/** Vanilla policy gradient (no baseline, A = R) or REINFORCE with a baseline b (A = R − b). */
export function reinforceAdvantages(rewards: readonly RewardValue[], baseline = 0): number[] {
  return rewards.map((r) => (r === null ? 0 : r - baseline));
}

/**
 * The moving-average baseline after a batch: b ← decay·b + (1 − decay)·mean(R). Before the first
 * batch there is no baseline; it starts at that batch's mean.
 */
export function updateMovingAverage(baseline: number | undefined, rewards: readonly RewardValue[], decay: number): number | undefined {
  const { mean, n } = meanStd(rewards);
  if (n === 0) return baseline;
  return baseline === undefined ? mean : decay * baseline + (1 - decay) * mean;
}

/**
 * RLOO: A_i = R_i − (1/(k−1)) Σ_{j≠i} R_j within each prompt's group, over the completions a
 * reward applies to (a group with one such completion gets 0).
 */
export function rlooAdvantages(rewards: readonly RewardValue[], k: number): number[] {
  const out = new Array<number>(rewards.length).fill(0);
  for (let g = 0; g < rewards.length; g += k) {
    const group = rewards.slice(g, g + k);
    const scorable = group.filter((v): v is number => v !== null);
    if (scorable.length < 2) continue;
    const sum = scorable.reduce((a, b) => a + b, 0);
    group.forEach((r, j) => {
      if (r !== null) out[g + j] = r - (sum - r) / (scorable.length - 1);
    });
  }
  return out;
}

/**
 * GRPO: A = r − mean of the prompt's group, divided by (std + 1e-4) with the std of the group
 * (`group`), of the whole batch (`batch`), or not scaled (`none`, Dr. GRPO).
 */
export function groupAdvantages(rewards: readonly RewardValue[], k: number, scale: 'group' | 'batch' | 'none'): number[] {
  const out = new Array<number>(rewards.length).fill(0);
  const batchStd = meanStd(rewards).std;
  for (let g = 0; g < rewards.length; g += k) {
    const group = rewards.slice(g, g + k);
    const { mean, std } = meanStd(group);
    const divisor = scale === 'none' ? 1 : (scale === 'group' ? std : batchStd) + 1e-4;
    group.forEach((r, j) => {
      if (r !== null) out[g + j] = (r - mean) / divisor;
    });
  }
  return out;
}

/** Advantages standardised over the batch, (A − mean) / (std + 1e-4) (TRL's `normalize_advantages`). */
export function normalizeAdvantages(advantages: readonly number[]): number[] {
  const { mean, std } = meanStd(advantages);
  return advantages.map((a) => (a - mean) / (std + 1e-4));
}

/** The KL estimators on one token's log-probs: k1 = log π − log π_ref (first order, can be negative); k3 = e^{log π_ref − log π} − (log π_ref − log π) − 1 ≥ 0. */
export function klEstimates(logp: number, refLogp: number): { k1: number; k3: number } {
  const d = refLogp - logp;
  return { k1: logp - refLogp, k3: Math.exp(d) - d - 1 };
}
