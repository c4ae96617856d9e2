/** Whether `a` dominates `b` (every score ≥, one >; scores oriented so higher is better). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return false;
    if (a[i] > b[i]) strictly = true;
  }
  return strictly;
}

/** Indices of the points no other point dominates (duplicates kept once, the first). */
export function paretoFront(points: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  points.forEach((p, i) => {
    if (points.some((q, j) => j !== i && dominates(q, p))) return;
    if (out.some((k) => points[k].every((v, d) => v === p[d]))) return;
    out.push(i);
  });
  return out;
}

/** Scalarisation weights for a Pareto sweep over `m` objectives: evenly spaced for two; else the m corners, then spread mixtures. */
export function sweepWeights(m: number, count: number): number[][] {
  if (m === 2) return Array.from({ length: count }, (_, k) => [1 - k / (count - 1), k / (count - 1)]);
  const out: number[][] = Array.from({ length: Math.min(m, count) }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)));
  for (let k = 1; out.length < count; k++) {
    // Low-discrepancy interior points: golden-ratio steps, normalised to the simplex.
    const raw = Array.from({ length: m }, (_, j) => ((k * (j + 1) * 0.6180339887498949) % 1) + 0.05);
    const s = raw.reduce((a, b) => a + b, 0);
    out.push(raw.map((v) => v / s));
  }
  return out;
}
