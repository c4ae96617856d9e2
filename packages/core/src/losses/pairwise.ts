import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UsageError } from '../errors';
import type { PairwiseLogps } from '../registry/contributions';

/**
 * How a sequence's log-likelihood is reduced over its completion tokens: `sum` (the
 * papers' h(y|x)) or `mean` (h̄ = h/|y|, "Averaging log-likelihoods in direct alignment").
 */
export const LogProbReductionSchema = z.enum(['sum', 'mean']);
export type LogProbReduction = z.infer<typeof LogProbReductionSchema>;

/** The log-ratios h(y) = log π(y) − log π_ref(y) of both completions, reduced as asked. */
export interface PairwiseLogRatios {
  readonly chosen: tf.Tensor1D;
  readonly rejected: tf.Tensor1D;
}

/** h(y_w) and h(y_l) (or their per-token means) from per-sequence log-likelihoods. */
export function pairwiseLogRatios(inputs: PairwiseLogps, reduction: LogProbReduction): PairwiseLogRatios {
  let chosen: tf.Tensor1D = tf.sub(inputs.policyChosen, inputs.referenceChosen);
  let rejected: tf.Tensor1D = tf.sub(inputs.policyRejected, inputs.referenceRejected);
  if (reduction === 'mean') {
    if (!inputs.chosenLengths || !inputs.rejectedLengths) {
      throw new UsageError("reduction 'mean' needs chosenLengths and rejectedLengths");
    }
    chosen = tf.div(chosen, inputs.chosenLengths);
    rejected = tf.div(rejected, inputs.rejectedLengths);
  }
  return { chosen, rejected };
}

/** The pair's rewards, or a usage error naming the loss that needs them. */
export function pairwiseRewards(inputs: PairwiseLogps, loss: string): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  if (!inputs.chosenRewards || !inputs.rejectedRewards) {
    throw new UsageError(`loss '${loss}' needs chosenRewards and rejectedRewards (scalar rewards of both completions)`);
  }
  return { chosen: inputs.chosenRewards, rejected: inputs.rejectedRewards };
}

/**
 * The usual preference metrics: implicit rewards `scale·h` of both completions, their margin,
 * the share of pairs where the chosen one scores higher, and mean completion lengths when known.
 */
export function preferenceMetrics(inputs: PairwiseLogps, h: PairwiseLogRatios, scale: number): Record<string, tf.Scalar> {
  const chosen = tf.mul(scale, h.chosen);
  const rejected = tf.mul(scale, h.rejected);
  const metrics: Record<string, tf.Scalar> = {
    'rewards/chosen': tf.mean(chosen),
    'rewards/rejected': tf.mean(rejected),
    'rewards/margin': tf.mean(tf.sub(chosen, rejected)),
    'rewards/accuracy': tf.mean(tf.cast(tf.greater(chosen, rejected), 'float32')),
  };
  if (inputs.chosenLengths) metrics['length/chosen'] = tf.mean(inputs.chosenLengths);
  if (inputs.rejectedLengths) metrics['length/rejected'] = tf.mean(inputs.rejectedLengths);
  return metrics;
}
