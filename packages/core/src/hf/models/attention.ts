import * as tf from '@tensorflow/tfjs';
import { fusedAttentionSoftmax } from '../../kernels/attention-softmax';
import { softcap } from './layers';

/** Keys and values of every layer for the positions seen so far, for incremental decoding. */
export class KVCache {
  readonly #layers: ({ k: tf.Tensor4D; v: tf.Tensor4D } | undefined)[];

  constructor(numLayers: number) {
    this.#layers = Array.from({ length: numLayers }, () => undefined);
  }

  /** Number of cached positions. */
  get length(): number {
    return this.#layers[0]?.k.shape[2] ?? 0;
  }

  /** Appends this step's keys and values [b, kvh, s, d] to layer `i`; returns all of them. Kept across `tf.tidy`. */
  append(i: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    const prev = this.#layers[i];
    const next = prev ? { k: tf.concat([prev.k, k], 2), v: tf.concat([prev.v, v], 2) } : { k: tf.clone(k), v: tf.clone(v) };
    tf.keep(next.k);
    tf.keep(next.v);
    if (prev) {
      prev.k.dispose();
      prev.v.dispose();
    }
    this.#layers[i] = next;
    return next;
  }

  /** Replaces every layer's keys and values by `f(k)`, `f(v)` (kept; the old ones freed). */
  #map(f: (t: tf.Tensor4D) => tf.Tensor4D): void {
    for (let i = 0; i < this.#layers.length; i++) {
      const l = this.#layers[i];
      if (!l) continue;
      const next = tf.tidy(() => ({ k: f(l.k), v: f(l.v) }));
      tf.keep(next.k);
      tf.keep(next.v);
      l.k.dispose();
      l.v.dispose();
      this.#layers[i] = next;
    }
  }

  /** Keeps only the batch rows `rows`, in that order (continuous batching drops finished rows). */
  selectRows(rows: readonly number[]): void {
    this.#map((t) => tf.gather(t, tf.tensor1d(rows as number[], 'int32'), 0));
  }

  /** Adds `n` zero positions in front of every row (their attention-mask entries must be 0). */
  padLeft(n: number): void {
    if (n > 0) this.#map((t) => tf.pad(t, [[0, 0], [0, 0], [n, 0], [0, 0]]));
  }

  /** Drops the first `n` positions of every row (columns no row attends to). */
  trimLeft(n: number): void {
    if (n > 0) this.#map((t) => tf.slice(t, [0, 0, n, 0], [-1, -1, -1, -1]));
  }

  /** Appends the rows of `other` (same number of positions) after this cache's rows; `other` is emptied. */
  appendRows(other: KVCache): void {
    if (other.length !== this.length) throw new Error(`KVCache.appendRows: ${other.length} positions against ${this.length}`);
    for (let i = 0; i < this.#layers.length; i++) {
      const a = this.#layers[i];
      const b = other.#layers[i];
      if (!a || !b) {
        this.#layers[i] = a ?? b;
        other.#layers[i] = undefined;
        continue;
      }
      const next = { k: tf.keep(tf.concat([a.k, b.k], 0)), v: tf.keep(tf.concat([a.v, b.v], 0)) };
      for (const t of [a.k, a.v, b.k, b.v]) t.dispose();
      this.#layers[i] = next;
      other.#layers[i] = undefined;
    }
  }

  /** Frees every cached tensor. */
  dispose(): void {
    for (const l of this.#layers) {
      l?.k.dispose();
      l?.v.dispose();
    }
    this.#layers.fill(undefined);
  }
}

/**
 * Additive attention bias [b, 1, s, t] ([1, 1, s, t] without an attention mask: the same for
 * every row, broadcast): 0 where query i may see key j, −1e9 elsewhere.
 * Causal (j ≤ past + i), optionally within a sliding window (past + i − j < window), and
 * only keys whose attention-mask entry is 1.
 */
export function attentionBias(
  batch: number,
  queryLength: number,
  pastLength: number,
  attentionMask: tf.Tensor2D | undefined,
  window: number | null,
): tf.Tensor4D {
  return tf.tidy(() => {
    const t = pastLength + queryLength;
    const qPos = tf.reshape(tf.add(tf.range(0, queryLength, 1, 'int32'), pastLength), [queryLength, 1]);
    const kPos = tf.reshape(tf.range(0, t, 1, 'int32'), [1, t]);
    let allowed = tf.cast(tf.lessEqual(kPos, qPos), 'float32');
    if (window !== null) allowed = tf.mul(allowed, tf.cast(tf.less(tf.sub(qPos, kPos), window), 'float32'));
    let full: tf.Tensor = tf.reshape(allowed, [1, 1, queryLength, t]);
    if (attentionMask) full = tf.mul(full, tf.reshape(tf.cast(attentionMask, 'float32'), [batch, 1, 1, t]));
    return tf.mul(tf.sub(full, 1), 1e9) as tf.Tensor4D;
  });
}

/** Repeats each key/value head for the query heads of its group (GQA): [b, kvh, t, d] → [b, h, t, d]. */
export function repeatKv(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return x;
  const [b, kvh, t, d] = x.shape;
  // Rank 4 throughout: tfjs has no gradient for tiling a rank-5 tensor.
  return tf.reshape(tf.tile(tf.reshape(x, [b, kvh, 1, t * d]), [1, 1, groups, 1]), [b, kvh * groups, t, d]);
}

/** Eager scaled dot-product attention with optional logit soft-capping, as transformers' eager path (softmax fused where the backend has the kernels). */
export function attend(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D,
  scale: number,
  logitSoftcap: number | null,
): tf.Tensor4D {
  const groups = q.shape[1] / k.shape[1];
  const raw = tf.matMul(q, repeatKv(k, groups), false, true);
  const probs =
    logitSoftcap === null
      ? (fusedAttentionSoftmax(raw, bias, scale) ?? tf.softmax(tf.add(tf.mul(raw, scale), bias)))
      : tf.softmax(tf.add(softcap(tf.mul(raw, scale), logitSoftcap), bias));
  return tf.matMul(probs, repeatKv(v, groups)) as tf.Tensor4D;
}

/** [b, s, h·d] → [b, h, s, d]. */
export function splitHeads(x: tf.Tensor, heads: number, headDim: number): tf.Tensor4D {
  const [b, s] = x.shape;
  return tf.transpose(tf.reshape(x, [b, s, heads, headDim]), [0, 2, 1, 3]);
}

/** [b, h, s, d] → [b, s, h·d]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, h, s, d] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, s, h * d]);
}
