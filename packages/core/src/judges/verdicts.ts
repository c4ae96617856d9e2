import type { JudgeVerdict } from '../registry/contributions';

/** A's points for a verdict: 1 for a win, ½ for a tie, 0 for a loss; `null` for no verdict. */
export function verdictScore(v: JudgeVerdict): number | null {
  return v === 'a>>b' || v === 'a' ? 1 : v === 'tie' ? 0.5 : v === 'b' || v === 'b>>a' ? 0 : null;
}

/** How many battles a verdict counts for in Arena-Hard's scoring: 3 for a strong verdict (≫), else 1. */
export function verdictWeight(v: JudgeVerdict): number {
  return v === 'a>>b' || v === 'b>>a' ? 3 : 1;
}

/** The same verdict with A and B exchanged. */
export function swapVerdict(v: JudgeVerdict): JudgeVerdict {
  return v === 'a>>b' ? 'b>>a' : v === 'a' ? 'b' : v === 'b' ? 'a' : v === 'b>>a' ? 'a>>b' : v;
}

/** Every spelling a judge may return, checked: anything else is an error naming the judge. */
export const VERDICTS: readonly JudgeVerdict[] = ['a>>b', 'a', 'tie', 'b', 'b>>a', null];
