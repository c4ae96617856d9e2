import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors';
import { Rng } from '../../random/rng';
import { KVCache } from '../models/attention';
import type { PretrainedModel } from '../models/model';

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Most new tokens per row (default 32). */
  readonly maxNewTokens?: number;
  /** Sample instead of taking the argmax (default false: greedy). */
  readonly doSample?: boolean;
  /** Softmax temperature when sampling (default 1). */
  readonly temperature?: number;
  /** Keep only the k most likely tokens when sampling (0 = off). */
  readonly topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p when sampling (1 = off). */
  readonly topP?: number;
  /** Seed of the sampler (default 0). */
  readonly seed?: number;
  /** Stop a row when it emits one of these (default: the config's eos_token_id). */
  readonly eosTokenIds?: readonly number[];
  /** Id written into rows that have finished and used for left padding (default: pad, else first EOS). */
  readonly padTokenId?: number;
  /** Reuse keys and values of earlier positions (default true); false recomputes every step. */
  readonly useCache?: boolean;
}

/** What {@link generate} returns. */
export interface GenerateResult {
  /** The new tokens of each row, up to and including its EOS. */
  readonly tokens: number[][];
  /** Whether each row stopped on EOS (rather than on maxNewTokens). */
  readonly finished: boolean[];
}

/**
 * Generates from prompts of any lengths (left-padded into one batch, positions counted from
 * each row's first real token, as transformers does), greedy or sampled, with a KV cache.
 */
export function generate(model: PretrainedModel, prompts: readonly (readonly number[])[], options: GenerateOptions = {}): GenerateResult {
  if (model.task !== 'causal-lm') throw new UsageError('generate needs a causal LM, not a sequence-classification model');
  if (prompts.length === 0 || prompts.some((p) => p.length === 0)) throw new UsageError('generate needs at least one non-empty prompt');
  const maxNew = options.maxNewTokens ?? 32;
  const eos = new Set(options.eosTokenIds ?? model.config.eosTokenIds);
  const pad = options.padTokenId ?? model.config.padTokenId ?? [...eos][0] ?? 0;
  const rng = new Rng(options.seed ?? 0);
  const useCache = options.useCache ?? true;
  const b = prompts.length;
  const width = Math.max(...prompts.map((p) => p.length));
  const rows = prompts.map((p) => [...Array.from({ length: width - p.length }, () => pad), ...p]);
  const mask = prompts.map((p) => [...Array.from({ length: width - p.length }, () => 0), ...p.map(() => 1)]);
  const tokens: number[][] = prompts.map(() => []);
  const finished = prompts.map(() => false);
  const cache = useCache ? new KVCache(model.config.numLayers) : undefined;

  try {
    for (let step = 0; step < maxNew && finished.some((f) => !f); step++) {
      const fed = cache && step > 0 ? rows.map((r) => [r[r.length - 1]]) : rows;
      const len = fed[0].length;
      const positions = mask.map((m) => {
        const out: number[] = [];
        let count = 0;
        for (const bit of m) {
          out.push(bit ? count : 1);
          count += bit;
        }
        return out.slice(out.length - len);
      });
      const last = tf.tidy(() => {
        const { logits } = model.forward({
          inputIds: tf.tensor2d(fed, [b, len], 'int32'),
          attentionMask: tf.tensor2d(mask, [b, mask[0].length], 'int32'),
          positionIds: tf.tensor2d(positions, [b, len], 'int32'),
          cache,
        });
        return tf.squeeze(tf.slice(logits, [0, len - 1, 0], [b, 1, -1]), [1]);
      });
      const values = last.dataSync() as Float32Array;
      last.dispose();
      const vocab = values.length / b;
      for (let i = 0; i < b; i++) {
        let next = pad;
        if (!finished[i]) {
          const row = values.subarray(i * vocab, (i + 1) * vocab);
          next = options.doSample ? sampleToken(row, options, rng) : argmax(row);
          tokens[i].push(next);
          if (eos.has(next)) finished[i] = true;
        }
        rows[i].push(next);
        mask[i].push(1);
      }
    }
  } finally {
    cache?.dispose();
  }
  return { tokens, finished };
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Temperature, then top-k, then top-p, then a draw — the order of transformers' logits warpers. */
export function sampleToken(logits: Float32Array, options: GenerateOptions, rng: Rng): number {
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
