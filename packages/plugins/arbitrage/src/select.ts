/** One teacher's completion of a prompt and the arbiter's score of it (`null`: the arbiter gave none). */
export interface Candidate {
  readonly teacher: string;
  readonly completion: string;
  readonly score: number | null;
}

/** The arbiter's decision for one prompt. */
export interface Decision {
  /** The highest-scoring completion (on equal scores, the teacher listed first in the pool). */
  readonly best: Candidate & { score: number };
  /** The lowest-scoring one (the one listed last among equals); the pair's rejected side when it scores below `best`. */
  readonly worst: Candidate & { score: number };
  /** Every other scored completion, best first. */
  readonly runnersUp: readonly (Candidate & { score: number })[];
  /** Whether another teacher scored as high as `best`. */
  readonly tiedAtTop: boolean;
}

/**
 * The argmax teacher of one prompt and its runners-up. Candidates are in pool order; unscored
 * ones are left out, and a prompt with no scored candidate has no decision (`undefined`).
 */
export function arbitrate(candidates: readonly Candidate[]): Decision | undefined {
  const scored = candidates.filter((c): c is Candidate & { score: number } => c.score !== null);
  if (!scored.length) return undefined;
  // A stable sort keeps pool order among equal scores.
  const ranked = [...scored].sort((a, b) => b.score - a.score);
  const best = ranked[0];
  return { best, worst: ranked[ranked.length - 1], runnersUp: ranked.slice(1), tiedAtTop: ranked.length > 1 && ranked[1].score === best.score };
}
