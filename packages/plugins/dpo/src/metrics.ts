import { tf, type PairwiseLogps, type PairwiseLogRatios } from '@aya-fw/core';

/**
 * The usual preference metrics: implicit rewards `scale·h` of both completions, their
 * margin, the share of pairs where the chosen one scores higher, and mean completion
 * lengths when known.
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
