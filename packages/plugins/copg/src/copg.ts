import {
  pairwiseLogRatios,
  pairwiseRewards,
  preferenceMetrics,
  stopGradient,
  tf,
  z,
  LogProbReductionSchema,
  type LossDefinition,
  type LossOutput,
  type PairwiseLogps,
} from '@aya-fw/core';

/** Options of the CoPG loss. */
export const CopgConfigSchema = z
  .object({
    beta: z.number().positive().default(0.1).describe('β, the KL regularisation of the reward R − β·h (default 0.1).'),
    reduction: LogProbReductionSchema.default('sum').describe('`sum` (the paper\'s h) or `mean` (length-averaged h̄).'),
    form: z.enum(['exact', 'squared', 'surrogate']).default('exact').describe('Which of the three equal-gradient forms to minimise: `exact` −(A − β/2·D)·D (the paper\'s Eq. 9), `squared` (A − βD)²/(2β), or `surrogate` −sg(A − βD)·D. Default `exact`.'),
  })
  .strict();
export type CopgConfig = z.infer<typeof CopgConfigSchema>;

/**
 * Contrastive Policy Gradient (Flet-Berliac et al. 2024, arXiv 2406.19185, Eq. 7–10):
 * for two completions y, y' of the same prompt with rewards R(y), R(y'), maximise
 * `ℓ = (R^π_{β/2}(y) − R^π_{β/2}(y'))·(h(y) − h(y'))` where `R^π_{β/2} = R − (β/2)·h`.
 * With `A = R(y) − R(y')` and `D = h(y) − h(y')` the minimised loss is `−(A − (β/2)D)·D`,
 * whose gradient is `−(A − βD)∇D` (Eq. 18–19). Off-policy; needs no ranking.
 */
export function copgLoss(inputs: PairwiseLogps, config: CopgConfig): LossOutput {
  const h = pairwiseLogRatios(inputs, config.reduction);
  const r = pairwiseRewards(inputs, 'copg');
  const A = tf.sub(r.chosen, r.rejected);
  const D = tf.sub(h.chosen, h.rejected);
  const beta = config.beta;
  let perPair: tf.Tensor;
  switch (config.form) {
    case 'exact':
      perPair = tf.neg(tf.mul(tf.sub(A, tf.mul(beta / 2, D)), D));
      break;
    case 'squared':
      perPair = tf.div(tf.square(tf.sub(A, tf.mul(beta, D))), 2 * beta);
      break;
    case 'surrogate': {
      const advantage = tf.sub(A, tf.mul(beta, D));
      perPair = tf.neg(tf.mul(stopGradient(advantage), D));
      break;
    }
  }
  const regChosen = tf.sub(r.chosen, tf.mul(beta, h.chosen));
  const regRejected = tf.sub(r.rejected, tf.mul(beta, h.rejected));
  return {
    loss: tf.mean(perPair),
    metrics: {
      ...preferenceMetrics(inputs, h, beta),
      // CoPG needs no ranking: "accuracy" is agreement of the log-ratio order with the reward order.
      'rewards/accuracy': tf.mean(tf.cast(tf.equal(tf.sign(D), tf.sign(A)), 'float32')),
      'regularized_reward/mean': tf.div(tf.mean(tf.add(regChosen, regRejected)), 2) as tf.Scalar,
    },
  };
}

export const copg: LossDefinition<PairwiseLogps, CopgConfig> = {
  id: 'copg',
  description: 'Contrastive Policy Gradient on two completions with scalar rewards (off-policy, no ranking)',
  inputKind: 'pairwise',
  configSchema: CopgConfigSchema,
  compute: copgLoss,
};
