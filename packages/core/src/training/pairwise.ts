import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic';
import { padBatch, sequenceLogprobs } from '../data/batch';
import { completionSequence, type PromptCompletionIds } from '../data/tokenize';
import type { PretrainedModel } from '../hf/models/model';
import { loadPretrained } from '../hf/models/load';
import { paddingTokenId } from '../hf/generation/special-tokens';
import type { Tokenizer } from '../hf/tokenizer/tokenizer';
import type { DataRow, PairwiseLogps } from '../registry/contributions';

/** One prompt with two tokenized completions (chosen first where there is a preference). */
export interface CompletionPair {
  readonly chosen: PromptCompletionIds;
  readonly rejected: PromptCompletionIds;
  /** Scalar rewards of both completions, when the data or a reward source gives them (CoPG). */
  readonly rewards?: readonly [number, number];
  readonly row: DataRow;
  readonly where: string;
}

/** Per-sequence completion log-likelihoods of both sides of a batch of pairs, and completion lengths. */
export interface PairLogps {
  readonly chosen: tf.Tensor1D;
  readonly rejected: tf.Tensor1D;
  readonly chosenLengths: tf.Tensor1D;
  readonly rejectedLengths: tf.Tensor1D;
}

/**
 * Σ log π(y_t | x, y_<t) over the completion tokens of both sides (prompt and padding masked),
 * in one forward pass over the 2b sequences. Differentiable; call inside `tf.tidy`.
 */
export function pairLogprobs(model: PretrainedModel, pairs: readonly CompletionPair[], padId: number): PairLogps {
  const seqs = [...pairs.map((p) => completionSequence(p.chosen)), ...pairs.map((p) => completionSequence(p.rejected))];
  const { sums, lengths } = sequenceLogprobs(model, padBatch(seqs, padId));
  const [chosen, rejected] = tf.split(sums, 2) as [tf.Tensor1D, tf.Tensor1D];
  const [chosenLengths, rejectedLengths] = tf.split(lengths, 2) as [tf.Tensor1D, tf.Tensor1D];
  return { chosen, rejected, chosenLengths, rejectedLengths };
}

/** The inputs of a pairwise loss from policy log-probs and cached reference log-probs of the same pairs. */
export function pairwiseInputs(policy: PairLogps, reference: { chosen: readonly number[]; rejected: readonly number[] }, pairs: readonly CompletionPair[]): PairwiseLogps {
  const withRewards = pairs.every((p) => p.rewards);
  return {
    policyChosen: policy.chosen,
    policyRejected: policy.rejected,
    referenceChosen: tf.tensor1d([...reference.chosen]),
    referenceRejected: tf.tensor1d([...reference.rejected]),
    chosenLengths: policy.chosenLengths,
    rejectedLengths: policy.rejectedLengths,
    ...(withRewards
      ? { chosenRewards: tf.tensor1d(pairs.map((p) => p.rewards![0])), rejectedRewards: tf.tensor1d(pairs.map((p) => p.rewards![1])) }
      : {}),
  };
}

/** Identifies a model folder's weights cheaply: config, file names, sizes and safetensors headers. */
export function modelFingerprint(dir: string): string {
  const h = createHash('sha256');
  h.update(readFileSync(join(dir, 'config.json')));
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.safetensors')).sort()) {
    const path = join(dir, f);
    h.update(`${f}:${statSync(path).size}:`);
    const bytes = readFileSync(path).subarray(0, 1 << 16);
    h.update(bytes);
  }
  return h.digest('hex');
}

/**
 * Reference-model log-probs of every pair, computed once in evaluation batches and cached on
 * disk under `cacheDir`, keyed by the reference model's fingerprint and the tokenized pairs:
 * a rerun or a resumed run reads them instead of running the reference again.
 */
export function referenceLogprobs(
  reference: PretrainedModel,
  referenceDir: string,
  pairs: readonly CompletionPair[],
  options: { padId: number; batchSize: number; cacheDir: string },
): { chosen: number[]; rejected: number[]; cached: boolean } {
  const key = createHash('sha256')
    .update(modelFingerprint(referenceDir))
    .update(JSON.stringify(pairs.map((p) => [p.chosen, p.rejected])))
    .digest('hex')
    .slice(0, 32);
  const file = join(options.cacheDir, `reference-logps-${key}.json`);
  if (existsSync(file)) return { ...(JSON.parse(readFileSync(file, 'utf8')) as { chosen: number[]; rejected: number[] }), cached: true };
  const chosen: number[] = [];
  const rejected: number[] = [];
  for (let i = 0; i < pairs.length; i += options.batchSize) {
    const part = pairs.slice(i, i + options.batchSize);
    const both = tf.tidy(() => {
      const lp = pairLogprobs(reference, part, options.padId);
      return tf.concat([lp.chosen, lp.rejected]);
    });
    const values = Array.from(both.dataSync());
    both.dispose();
    chosen.push(...values.slice(0, part.length));
    rejected.push(...values.slice(part.length));
  }
  mkdirSync(options.cacheDir, { recursive: true });
  writeJsonAtomic(file, { chosen, rejected });
  return { chosen, rejected, cached: false };
}

/**
 * Loads the frozen reference model from `referenceDir`, takes its log-probs of every pair from
 * {@link referenceLogprobs} (computed or read from the cache), frees it, and returns them with
 * the padding id the policy's batches use.
 */
export function referenceLogprobsFrom(
  referenceDir: string,
  tokenizer: Tokenizer,
  pairs: readonly CompletionPair[],
  options: { batchSize: number; cacheDir: string },
): { chosen: number[]; rejected: number[]; cached: boolean; padId: number } {
  const reference = loadPretrained(referenceDir, { trainable: false });
  try {
    const padId = paddingTokenId(reference, tokenizer);
    return { ...referenceLogprobs(reference, referenceDir, pairs, { padId, ...options }), padId };
  } finally {
    reference.dispose();
  }
}
