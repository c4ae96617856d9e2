import { Rng, verdictScore, verdictWeight, type JudgeVerdict } from '@aya-fw/core';

/**
 * The battles of one prompt, as Arena-Hard-Auto scores them: game 1 puts the baseline in
 * position A, game 2 the model. The model's score is 1 − A's points in game 1 and A's points in
 * game 2; a strong verdict (≫) counts `strongWeight` battles (Arena-Hard: 3). Without a second
 * game only game 2 counts. `null` when either game has no verdict (the prompt is dropped).
 */
export function promptBattles(game1: JudgeVerdict | undefined, game2: JudgeVerdict, strongWeight = 3): number[] | null {
  const battles: number[] = [];
  for (const [v, forModel] of [
    [game1, (s: number) => 1 - s],
    [game2, (s: number) => s],
  ] as const) {
    if (v === undefined) continue;
    const s = verdictScore(v);
    if (s === null) return null;
    const n = verdictWeight(v) === 1 ? 1 : strongWeight;
    for (let k = 0; k < n; k++) battles.push(forModel(s));
  }
  return battles;
}

/** The win-rate of a set of prompts: the mean of all their battles (ties ½). NaN when there are none. */
export function winRateOf(prompts: readonly (readonly number[])[]): number {
  let sum = 0;
  let n = 0;
  for (const p of prompts) for (const s of p) (sum += s), n++;
  return n ? sum / n : NaN;
}

/**
 * Percentile bootstrap interval of {@link winRateOf}, resampling prompts (a prompt's battles stay
 * together), seeded. `level` 0.95 gives the 2.5% and 97.5% quantiles.
 */
export function bootstrapInterval(prompts: readonly (readonly number[])[], options: { resamples?: number; seed?: number; level?: number } = {}): [number, number] {
  if (prompts.length === 0) return [NaN, NaN];
  const resamples = options.resamples ?? 1000;
  const rng = new Rng(options.seed ?? 0);
  const rates: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample = Array.from({ length: prompts.length }, () => prompts[Math.floor(rng.next() * prompts.length)]);
    rates.push(winRateOf(sample));
  }
  rates.sort((a, b) => a - b);
  const alpha = (1 - (options.level ?? 0.95)) / 2;
  const at = (q: number) => rates[Math.min(rates.length - 1, Math.max(0, Math.round(q * (rates.length - 1))))];
  return [at(alpha), at(1 - alpha)];
}
