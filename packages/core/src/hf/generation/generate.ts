import { UsageError } from '../../errors';
import { Rng } from '../../random/rng';
import type { PretrainedModel } from '../models/model';
import { BatchDecoder, type SamplingOptions } from './decoder';

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens per row (default 32). */
  readonly maxNewTokens?: number;
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
 * One fixed batch of a {@link BatchDecoder}; the rows share one sampler stream.
 */
export function generate(model: PretrainedModel, prompts: readonly (readonly number[])[], options: GenerateOptions = {}): GenerateResult {
  if (prompts.length === 0 || prompts.some((p) => p.length === 0)) throw new UsageError('generate needs at least one non-empty prompt');
  const maxNew = options.maxNewTokens ?? 32;
  const decoder = new BatchDecoder(model, { eosTokenIds: options.eosTokenIds, padTokenId: options.padTokenId, useCache: options.useCache, compact: false });
  try {
    if (maxNew <= 0) return { tokens: prompts.map(() => []), finished: prompts.map(() => false) };
    const rng = new Rng(options.seed ?? 0);
    const rows = prompts.map((prompt) => decoder.add({ ...options, prompt, maxNewTokens: maxNew, rng }));
    while (decoder.active > 0) decoder.step();
    return { tokens: rows.map((r) => r.tokens), finished: rows.map((r) => r.finish === 'stop') };
  } finally {
    decoder.dispose();
  }
}
