import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors';
import { Rng } from '../../random/rng';
import { KVCache } from '../models/attention';
import type { PretrainedModel } from '../models/model';

/** How a row picks its next token. */
export interface SamplingOptions {
  /** Sample instead of taking the argmax (default false: greedy). */
  readonly doSample?: boolean;
  /** Softmax temperature when sampling (default 1). */
  readonly temperature?: number;
  /** Keep only the k most likely tokens when sampling (0 = off). */
  readonly topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p when sampling (1 = off). */
  readonly topP?: number;
}

/** One sequence to decode. */
export interface DecodeRequest extends SamplingOptions {
  /** Prompt token ids (at least one). */
  readonly prompt: readonly number[];
  /** Most new tokens (at least 1). */
  readonly maxNewTokens: number;
  /** The sampler's stream: shared between rows (`generate`) or one per row (the server: one per choice). */
  readonly rng?: Rng;
  /** Report the chosen token's log-probability and this many alternatives (0: the chosen one only). */
  readonly topLogprobs?: number;
  /** Keep going past end-of-sequence tokens until `maxNewTokens` (benchmarks; vLLM's `ignore_eos`). */
  readonly ignoreEos?: boolean;
}

/** Why a row stopped: an end-of-sequence token, its token budget, or a caller's {@link BatchDecoder.cancel}. */
export type FinishReason = 'stop' | 'length' | 'cancelled';

/** A token and its log-probability under the model (the raw distribution, before temperature or top-p). */
export interface TokenLogprob {
  readonly token: number;
  readonly logprob: number;
}

/** One row of a {@link BatchDecoder}: its new tokens so far and whether it has stopped. */
export class DecodeRow {
  readonly tokens: number[] = [];
  finish?: FinishReason;
  /** Left-padded ids (prompt and new tokens); the last one is not yet in the KV cache. */
  ids: number[] = [];
  mask: number[] = [];
  /** The request's sampler stream, or one seeded with 0. */
  readonly rng: Rng;
  constructor(readonly request: DecodeRequest) {
    this.rng = request.rng ?? new Rng(0);
  }
}

/** What one {@link BatchDecoder.step} produced for one row. */
export interface DecodedToken {
  readonly row: DecodeRow;
  readonly token: number;
  /** Present when the row asked for log-probabilities. */
  readonly logprob?: TokenLogprob;
  readonly top?: readonly TokenLogprob[];
  /** Set when this token ended the row. */
  readonly finish?: FinishReason;
}

/** Options of a {@link BatchDecoder}. */
export interface BatchDecoderOptions {
  /** Ids that end a row (default: the config's `eos_token_id`). */
  readonly eosTokenIds?: readonly number[];
  /** Id for left padding and for rows that have finished (default: pad, else the first EOS, else 0). */
  readonly padTokenId?: number;
  /** Reuse keys and values of earlier positions (default true); false recomputes every step. */
  readonly useCache?: boolean;
  /**
   * Drop finished rows from the batch after each step (default true: continuous batching). With
   * false, finished rows stay and are fed padding, as one fixed batch of `generate` does.
   */
  readonly compact?: boolean;
}

/**
 * Step-level batched decoding with a KV cache. Rows may join at any step (their prompts are
 * prefilled together and their cache left-padded to the running batch's width) and leave when
 * they finish, so a short request never waits for a long one. Positions count from each row's
 * first real token, as transformers does with left padding. Call {@link step} until
 * {@link active} is 0, then {@link dispose}.
 */
export class BatchDecoder {
  readonly #model: PretrainedModel;
  readonly #eos: Set<number>;
  readonly #pad: number;
  readonly #useCache: boolean;
  readonly #compact: boolean;
  #running: DecodeRow[] = [];
  #pending: DecodeRow[] = [];
  #cache?: KVCache;

  constructor(model: PretrainedModel, options: BatchDecoderOptions = {}) {
    if (model.task !== 'causal-lm') throw new UsageError('generation needs a causal LM, not a sequence-classification model');
    this.#model = model;
    this.#eos = new Set(options.eosTokenIds ?? model.config.eosTokenIds);
    this.#pad = options.padTokenId ?? model.config.padTokenId ?? [...this.#eos][0] ?? 0;
    this.#useCache = options.useCache ?? true;
    this.#compact = options.compact ?? true;
  }

  /** Rows running or waiting to join. */
  get active(): number {
    return this.#running.filter((r) => !r.finish).length + this.#pending.length;
  }

  /** Queues a row; it is prefilled and produces its first token at the next {@link step}. */
  add(request: DecodeRequest): DecodeRow {
    if (request.prompt.length === 0) throw new UsageError('generation needs a non-empty prompt');
    if (!(request.maxNewTokens >= 1)) throw new UsageError(`maxNewTokens must be at least 1, got ${request.maxNewTokens}`);
    if (request.doSample && !((request.temperature ?? 1) > 0)) throw new UsageError('temperature must be > 0 when sampling');
    const row = new DecodeRow(request);
    this.#pending.push(row);
    return row;
  }

  /** Stops a row (a client went away); it leaves the batch at the next step. */
  cancel(row: DecodeRow): void {
    if (row.finish) return;
    row.finish = 'cancelled';
    this.#pending = this.#pending.filter((r) => r !== row);
  }

  /** One new token for every running row, and the first for every row added since the last step. */
  step(): DecodedToken[] {
    const events: DecodedToken[] = [];
    if (this.#running.length > 0) {
      const rows = this.#running;
      const fed = this.#useCache ? rows.map((r) => [r.ids[r.ids.length - 1]]) : rows.map((r) => r.ids);
      const logits = this.#lastLogits(rows, fed, this.#cache);
      for (let i = 0; i < rows.length; i++) this.#advance(rows[i], logits, i, rows.length, events);
    }
    if (this.#pending.length > 0) this.#prefill(events);
    if (this.#compact) this.#dropFinished();
    return events;
  }

  /** Frees the KV cache. */
  dispose(): void {
    this.#cache?.dispose();
    this.#cache = undefined;
    this.#running = [];
    this.#pending = [];
  }

  #prefill(events: DecodedToken[]): void {
    const rows = this.#pending;
    this.#pending = [];
    const width = Math.max(...rows.map((r) => r.request.prompt.length));
    for (const r of rows) {
      const padding = width - r.request.prompt.length;
      r.ids = [...Array.from({ length: padding }, () => this.#pad), ...r.request.prompt];
      r.mask = [...Array.from({ length: padding }, () => 0), ...r.request.prompt.map(() => 1)];
    }
    const cache = this.#useCache ? new KVCache(this.#model.config.numLayers) : undefined;
    const logits = this.#lastLogits(rows, rows.map((r) => r.ids), cache);
    for (let i = 0; i < rows.length; i++) this.#advance(rows[i], logits, i, rows.length, events);
    if (this.#running.length === 0) {
      this.#cache?.dispose();
      this.#running = rows;
      this.#cache = cache;
      return;
    }
    // Both groups now hold one token past their cache; left-pad the shorter group to the other's width.
    const have = this.#running[0].ids.length;
    const added = rows[0].ids.length;
    this.#padRows(have < added ? this.#running : rows, Math.abs(have - added));
    if (cache && this.#cache) {
      (have < added ? this.#cache : cache).padLeft(Math.abs(have - added));
      this.#cache.appendRows(cache);
      cache.dispose();
    }
    this.#running.push(...rows);
  }

  #padRows(rows: readonly DecodeRow[], n: number): void {
    if (n === 0) return;
    for (const r of rows) {
      r.ids = [...Array.from({ length: n }, () => this.#pad), ...r.ids];
      r.mask = [...Array.from({ length: n }, () => 0), ...r.mask];
    }
  }

  /** Logits [b·V] of the last fed position of each row; `fed` is the rows' last id (cached) or every id. */
  #lastLogits(rows: readonly DecodeRow[], fed: readonly (readonly number[])[], cache?: KVCache): Float32Array {
    const b = rows.length;
    const len = fed[0].length;
    const width = rows[0].mask.length;
    const positions = rows.map((r) => {
      const out: number[] = [];
      let count = 0;
      for (let j = 0; j < width; j++) {
        out.push(r.mask[j] ? count : 1);
        count += r.mask[j];
      }
      return out.slice(width - len);
    });
    const last = tf.tidy(() => {
      const { logits } = this.#model.forward({
        inputIds: tf.tensor2d(fed as number[][], [b, len], 'int32'),
        attentionMask: tf.tensor2d(rows.map((r) => r.mask), [b, width], 'int32'),
        positionIds: tf.tensor2d(positions, [b, len], 'int32'),
        cache,
      });
      return tf.squeeze(tf.slice(logits, [0, len - 1, 0], [b, 1, -1]), [1]);
    });
    const values = last.dataSync() as Float32Array;
    last.dispose();
    return values;
  }

  #advance(row: DecodeRow, logits: Float32Array, i: number, b: number, events: DecodedToken[]): void {
    if (row.finish) {
      row.ids.push(this.#pad);
      row.mask.push(1);
      return;
    }
    const v = logits.length / b;
    const values = logits.subarray(i * v, (i + 1) * v);
    const req = row.request;
    const token = req.doSample ? sampleToken(values, req, row.rng) : argmax(values);
    row.tokens.push(token);
    row.ids.push(token);
    row.mask.push(1);
    if (!req.ignoreEos && this.#eos.has(token)) row.finish = 'stop';
    else if (row.tokens.length >= req.maxNewTokens) row.finish = 'length';
    const scored = req.topLogprobs === undefined ? undefined : rankedLogprobs(values, token, req.topLogprobs);
    events.push({ row, token, logprob: scored?.chosen, top: scored?.top, finish: row.finish });
  }

  #dropFinished(): void {
    const keep = this.#running.map((r, i) => (r.finish ? -1 : i)).filter((i) => i >= 0);
    if (keep.length === this.#running.length) return;
    if (keep.length === 0) {
      this.#cache?.dispose();
      this.#cache = undefined;
      this.#running = [];
      return;
    }
    this.#cache?.selectRows(keep);
    this.#running = keep.map((i) => this.#running[i]);
    // Columns that no remaining row attends to (its padding) are dropped from the front.
    const unused = Math.min(...this.#running.map((r) => r.mask.indexOf(1)));
    if (unused > 0) {
      this.#cache?.trimLeft(unused);
      for (const r of this.#running) {
        r.ids = r.ids.slice(unused);
        r.mask = r.mask.slice(unused);
      }
    }
  }
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** log-softmax of `logits` at `token`, and the `top` most likely tokens with theirs. */
export function rankedLogprobs(logits: Float32Array, token: number, top: number): { chosen: TokenLogprob; top: TokenLogprob[] } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logZ = max + Math.log(sum);
  const best: number[] = [];
  if (top > 0) {
    for (let i = 0; i < logits.length; i++) {
      if (best.length < top || logits[i] > logits[best[best.length - 1]]) {
        best.push(i);
        best.sort((a, b) => logits[b] - logits[a] || a - b);
        if (best.length > top) best.pop();
      }
    }
  }
  return { chosen: { token, logprob: logits[token] - logZ }, top: best.map((t) => ({ token: t, logprob: logits[t] - logZ })) };
}

/** Temperature, then top-k, then top-p, then a draw — the order of transformers' logits warpers. */
export function sampleToken(logits: Float32Array, options: SamplingOptions, rng: Rng): number {
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new UsageError('temperature must be > 0 when sampling');
  const order = Array.from(logits.keys()).sort((a, c) => logits[c] - logits[a]);
  const k = options.topK && options.topK > 0 ? Math.min(options.topK, order.length) : order.length;
  const kept = order.slice(0, k);
  const max = logits[kept[0]] / temperature;
  let probs = kept.map((i) => Math.exp(logits[i] / temperature - max));
  let total = probs.reduce((a, c) => a + c, 0);
  probs = probs.map((p) => p / total);
  const topP = options.topP ?? 1;
  let n = probs.length;
  if (topP < 1) {
    let cumulative = 0;
    for (n = 0; n < probs.length; ) {
      cumulative += probs[n++];
      if (cumulative >= topP) break;
    }
  }
  total = probs.slice(0, n).reduce((a, c) => a + c, 0);
  return kept[rng.categorical(probs.slice(0, n).map((p) => p / total))];
}
