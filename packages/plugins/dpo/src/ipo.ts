import { pairwiseLogRatios, preferenceMetrics, tf, z, LogProbReductionSchema, type LossDefinition, type LossOutput, type PairwiseLogps } from '@aya-fw/core';

/** Options of the IPO loss. */
export const IpoConfigSchema = z
  .object({
    tau: z.number().positive().optional().describe('τ, the regularisation of IPO; the target margin is 1/(2τ) (default 0.1).'),
    beta: z.number().positive().optional().describe('TRL\'s name for the same τ (`beta` with `loss_type="ipo"`): accepted as τ.'),
    reduction: LogProbReductionSchema.default('sum').describe('`sum` (the IPO paper\'s h) or `mean` (length-averaged IPO). TRL\'s `loss_type="ipo"` is always length-averaged: it equals this loss with `reduction: \'mean\'` and τ = TRL\'s β.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tau !== undefined && c.beta !== undefined) ctx.addIssue({ code: 'custom', path: ['beta'], message: "give tau or beta (TRL's name for the same τ), not both" });
  })
  .transform(({ tau, beta, reduction }) => ({ tau: tau ?? beta ?? 0.1, reduction }));
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
