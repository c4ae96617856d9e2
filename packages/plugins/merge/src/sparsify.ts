import { Rng } from '@aya-fw/core';

/**
 * How kept entries are rescaled after sparsification: `l1` matches the task vector's L1 norm
 * (mergekit's `rescale: true`), `density` divides by the keep probability (the DARE paper's
 * 1/(1−p)), `none` leaves them as they are.
 */
export type Rescale = 'l1' | 'density' | 'none';

/**
 * The k-th largest magnitude |values[i]| (1-based) by a two-pass radix select on the float32
 * bits (|v|'s bits order as |v| does): no copy, no permutation; O(n).
 */
export function kthLargestMagnitude(values: Float32Array, k: number): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const n = values.length;
  const hist = new Uint32Array(65536);
  for (let i = 0; i < n; i++) hist[(bits[i] & 0x7fffffff) >>> 16]++;
  let left = k;
  let high = 65535;
  for (; high > 0 && hist[high] < left; high--) left -= hist[high];
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    const b = bits[i] & 0x7fffffff;
    if (b >>> 16 === high) hist[b & 0xffff]++;
  }
  let low = 65535;
  for (; low > 0 && hist[low] < left; low--) left -= hist[low];
  const out = new Float32Array(new Uint32Array([(high << 16) | low]).buffer);
  return out[0];
}

/**
 * mergekit's `rescaled_masked_tensor` for the L1 norm: the masked tensor scaled so its L1 norm
 * equals the original's; unchanged when either norm is below 1e-7. Works in place on `masked`.
 */
export function matchL1(original: Float32Array, masked: Float32Array): Float32Array {
  let before = 0;
  let after = 0;
  for (let i = 0; i < original.length; i++) {
    before += Math.abs(original[i]);
    after += Math.abs(masked[i]);
  }
  if (before < 1e-7 || after < 1e-7) return masked;
  const s = before / after;
  for (let i = 0; i < masked.length; i++) masked[i] *= s;
  return masked;
}

/**
 * Indices of `values[from, from + count)` by ascending magnitude, ties in index order. Sorts
 * float64 keys (|v|'s float32 bits · 2²² + position, exact below 2²² entries) natively, many
 * times faster than a comparator.
 */
function byMagnitude(values: Float32Array, from = 0, count = values.length): Uint32Array {
  const idx = new Uint32Array(count);
  if (count >= 1 << 22) {
    for (let i = 0; i < count; i++) idx[i] = from + i;
    return idx.sort((a, b) => Math.abs(values[a]) - Math.abs(values[b]) || a - b);
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = (bits[from + i] & 0x7fffffff) * 4194304 + i;
  keys.sort();
  for (let r = 0; r < count; r++) idx[r] = from + (keys[r] % 4194304);
  return idx;
}

/** Marks the k entries of largest magnitude (ties at the threshold in index order); O(n). */
function topByMagnitude(delta: Float32Array, k: number): Uint8Array {
  const n = delta.length;
  const keep = new Uint8Array(n);
  if (k <= 0) return keep;
  if (k >= n) return keep.fill(1);
  const threshold = kthLargestMagnitude(delta, k);
  let above = 0;
  for (let i = 0; i < n; i++) if (Math.abs(delta[i]) > threshold) above++;
  let equalLeft = k - above;
  for (let i = 0; i < n; i++) {
    const m = Math.abs(delta[i]);
    if (m > threshold) keep[i] = 1;
    else if (m === threshold && equalLeft > 0) {
      keep[i] = 1;
      equalLeft--;
    }
  }
  return keep;
}

/**
 * Keeps the ⌊density·n⌋ entries of largest magnitude and zeroes the rest (mergekit's
 * `magnitude` sparsification; ties at the threshold are kept in index order), optionally
 * rescaled to the original L1 norm. Density ≥ 1 returns the input.
 */
export function trimByMagnitude(delta: Float32Array, density: number, rescale: Rescale = 'none'): Float32Array {
  if (density >= 1) return delta;
  const keep = topByMagnitude(delta, Math.floor(density * delta.length));
  const out = new Float32Array(delta.length);
  for (let i = 0; i < out.length; i++) if (keep[i]) out[i] = delta[i];
  return rescale === 'l1' ? matchL1(delta, out) : out;
}

/**
 * Model Breadcrumbs (mergekit's `magnitude_outliers`): drops the ⌊gamma·n⌋ largest entries
 * as outliers and the smallest so that ⌊density·n⌋ remain (fewer outliers are dropped when
 * both do not fit). mergekit's slice `[n_bot:-n_top]` keeps nothing when n_top is 0 (tensors
 * under 1/gamma entries); here that case keeps the top ⌊density·n⌋, as the method intends.
 */
export function trimOutliers(delta: Float32Array, density: number, gamma: number, rescale: Rescale = 'none'): Float32Array {
  if (density >= 1) return delta;
  const n = delta.length;
  const target = Math.floor(density * n);
  let top = Math.floor(gamma * n);
  let bottom = n - target - top;
  if (bottom < 0) {
    top += bottom;
    bottom = 0;
  }
  // The top n − bottom without the top `top`: one rank window of one order (magnitude, then index).
  const upTo = topByMagnitude(delta, n - bottom);
  const outliers = topByMagnitude(delta, top);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) if (upTo[i] && !outliers[i]) out[i] = delta[i];
  return rescale === 'l1' ? matchL1(delta, out) : out;
}

/**
 * DARE: keeps each entry with probability `density` (a seeded Bernoulli mask), then rescales
 * the kept ones: to the original L1 norm (mergekit's current default) or by 1/density (the
 * DARE paper's). Density ≥ 1 returns the input.
 */
export function dropAndRescale(delta: Float32Array, density: number, rescale: Rescale, seed: number): Float32Array {
  if (density >= 1) return delta;
  const rng = new Rng(seed);
  const scale = rescale === 'density' && density > 0 ? 1 / density : 1;
  const out = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) if (rng.next() < density) out[i] = delta[i] * scale;
  return rescale === 'l1' ? matchL1(delta, out) : out;
}

/**
 * DELLA's MagPrune (mergekit's `della_magprune`): in each row (a 1-D tensor is one row), the
 * entry of magnitude rank r of c (0 = smallest) is kept with probability
 * (density − ε) + 2ε·r/(c−1), by a seeded Bernoulli draw, then rescaled. Density ≥ 1 returns
 * the input, ≤ 0 zeros; otherwise density ± ε must lie in (0, 1).
 */
export function magPrune(delta: Float32Array, shape: readonly number[], density: number, epsilon: number, rescale: Rescale, seed: number): Float32Array {
  if (density >= 1) return delta;
  const out = new Float32Array(delta.length);
  if (density <= 0) return out;
  const cols = shape.length >= 2 ? delta.length / shape[0] : delta.length;
  const rng = new Rng(seed);
  for (let start = 0; start < delta.length; start += cols) {
    const order = byMagnitude(delta, start, cols);
    for (let r = 0; r < cols; r++) {
      const p = density - epsilon + (cols > 1 ? r / (cols - 1) : 0) * 2 * epsilon;
      if (rng.next() < p) {
        const i = order[r];
        out[i] = rescale === 'density' ? delta[i] / p : delta[i];
      }
    }
  }
  return rescale === 'l1' ? matchL1(delta, out) : out;
}
