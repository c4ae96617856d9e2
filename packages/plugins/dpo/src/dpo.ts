import { logSigmoid, pairwiseLogRatios, preferenceMetrics, tf, z, LogProbReductionSchema, type LossDefinition, type LossOutput, type PairwiseLogps } from '@aya-fw/core';

/** Options of the DPO loss. */
export const DpoConfigSchema = z
  .object({
    beta: z.number().positive().default(0.1).describe('β, the strength of the KL regularisation (default 0.1).'),
    labelSmoothing: z.number().min(0).max(0.5).default(0).describe('ε of conservative DPO: the chance a label is flipped (default 0, no smoothing).'),
    reduction: LogProbReductionSchema.default('sum').describe('`sum` (DPO) or `mean` (length-averaged DPO, TRL\'s `sigmoid_norm`); default `sum`.'),
  })
  .strict();
export type DpoConfig = z.infer<typeof DpoConfigSchema>;

/**
 * DPO (Rafailov et al. 2023), sigmoid form:
 * `L = −(1−ε) log σ(β·Δ) − ε log σ(−β·Δ)`, `Δ = h(y_w|x) − h(y_l|x)`, averaged over the batch.
 * With `reduction: 'mean'`, h is replaced by h/|y| ("Averaging log-likelihoods in direct alignment").
 */
export function dpoLoss(inputs: PairwiseLogps, config: DpoConfig): LossOutput {
  const h = pairwiseLogRatios(inputs, config.reduction);
  const logits = tf.mul(config.beta, tf.sub(h.chosen, h.rejected));
  const eps = config.labelSmoothing;
  const perPair = tf.sub(tf.mul(-(1 - eps), logSigmoid(logits)), tf.mul(eps, logSigmoid(tf.neg(logits))));
  return { loss: tf.mean(perPair), metrics: preferenceMetrics(inputs, h, config.beta) };
}

export const dpo: LossDefinition<PairwiseLogps, DpoConfig> = {
  id: 'dpo',
  description: 'DPO sigmoid loss; reduction sum or mean (length-averaged DPO), optional label smoothing',
  inputKind: 'pairwise',
  configSchema: DpoConfigSchema,
  compute: dpoLoss,
};
