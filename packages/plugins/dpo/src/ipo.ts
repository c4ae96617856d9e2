import { pairwiseLogRatios, preferenceMetrics, tf, z, LogProbReductionSchema, type LossDefinition, type LossOutput, type PairwiseLogps } from '@aya-fw/core';

/** Options of the IPO loss. */
export const IpoConfigSchema = z
  .object({
    /** τ, the regularisation of IPO; the target margin is 1/(2τ) (default 0.1). */
    tau: z.number().positive().default(0.1),
    /**
     * `sum` (the IPO paper's h) or `mean` (length-averaged IPO). TRL's `loss_type="ipo"`
     * is always length-averaged: it equals this loss with `reduction: 'mean'` and τ = TRL's β.
     */
    reduction: LogProbReductionSchema.default('sum'),
  })
  .strict();
export type IpoConfig = z.infer<typeof IpoConfigSchema>;

/**
 * IPO (Azar et al. 2023): `L = (Δ − 1/(2τ))²`, `Δ = h(y_w|x) − h(y_l|x)`, averaged over the batch.
 */
export function ipoLoss(inputs: PairwiseLogps, config: IpoConfig): LossOutput {
  const h = pairwiseLogRatios(inputs, config.reduction);
  const perPair = tf.square(tf.sub(tf.sub(h.chosen, h.rejected), 1 / (2 * config.tau)));
  return { loss: tf.mean(perPair), metrics: preferenceMetrics(inputs, h, config.tau) };
}

export const ipo: LossDefinition<PairwiseLogps, IpoConfig> = {
  id: 'ipo',
  description: 'IPO squared loss with target margin 1/(2τ); reduction sum or mean (length-averaged IPO)',
  inputKind: 'pairwise',
  configSchema: IpoConfigSchema,
  compute: ipoLoss,
};
