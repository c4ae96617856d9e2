import { logSigmoid, tf, z, type LossDefinition } from '@aya-fw/core';

/** Scores of both completions of each pair by the model being trained (`inputKind: 'reward-pairs'`). */
export interface RewardPairs {
  /** r(x, y⁺), shape [batch]. */
  readonly chosen: tf.Tensor1D;
  /** r(x, y⁻), shape [batch]. */
  readonly rejected: tf.Tensor1D;
  /** Margin m of each pair (the data's `margin` column or the trainer's default), shape [batch]. */
  readonly margin: tf.Tensor1D;
}

export const BradleyTerryConfigSchema = z.object({}).strict();

/** Bradley-Terry reward-model loss −log σ(r⁺ − r⁻ − m), averaged (TRL's RewardTrainer), with accuracy and margin metrics. */
export const bradleyTerry: LossDefinition<RewardPairs, z.infer<typeof BradleyTerryConfigSchema>> = {
  id: 'bradley-terry',
  description: 'Bradley-Terry reward-model loss −log σ(r⁺ − r⁻ − margin)',
  inputKind: 'reward-pairs',
  configSchema: BradleyTerryConfigSchema,
  compute: ({ chosen, rejected, margin }) => {
    const diff = tf.sub(chosen, rejected);
    return {
      loss: tf.neg(tf.mean(logSigmoid(tf.sub(diff, margin)))) as tf.Scalar,
      metrics: {
        accuracy: tf.mean(tf.cast(tf.greater(diff, 0), 'float32')) as tf.Scalar,
        'rewards/margin': tf.mean(diff) as tf.Scalar,
      },
    };
  },
};
