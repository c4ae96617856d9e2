import { Rng } from '@aya-fw/core';

/** The k-th largest value of `values` (1-based), by quickselect on a copy; O(n). */
export function kthLargest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}

/**
 * Keeps the ⌊density·n⌋ entries of largest magnitude and zeroes the rest (mergekit's
 * `magnitude` sparsification; ties at the threshold are kept in index order).
 */
export function trimByMagnitude(delta: Float32Array, density: number): Float32Array {
  if (density >= 1) return delta;
  const n = delta.length;
  const k = Math.floor(density * n);
  const out = new Float32Array(n);
  if (k <= 0) return out;
  const mags = new Float32Array(n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(delta[i]);
  const threshold = kthLargest(mags, k);
  let above = 0;
  for (let i = 0; i < n; i++) if (mags[i] > threshold) above++;
  let equalLeft = k - above;
  for (let i = 0; i < n; i++) {
    if (mags[i] > threshold) out[i] = delta[i];
    else if (mags[i] === threshold && equalLeft > 0) {
      out[i] = delta[i];
      equalLeft--;
    }
  }
  return out;
}

/**
 * DARE: keeps each entry with probability `density` (a seeded Bernoulli mask) and, with
 * `rescale`, divides the kept ones by `density` — the DARE paper's 1/(1−p) rescale, which
 * mergekit used before it switched to matching the L1 norm.
 */
export function dropAndRescale(delta: Float32Array, density: number, rescale: boolean, seed: number): Float32Array {
  if (density >= 1) return delta;
  const rng = new Rng(seed);
  const scale = rescale && density > 0 ? 1 / density : 1;
  const out = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) if (rng.next() < density) out[i] = delta[i] * scale;
  return out;
}
