import { stopGradient, tf, z, type LossDefinition, type LossOutput } from '@aya-fw/core';

/**
 * What the online trainers feed a loss (`inputKind: 'policy-gradient'`), for a batch of sampled
 * completions laid out [b, t] over completion tokens.
 */
export interface PolicyGradientInputs {
  /** log π_θ of each completion token (0 where `mask` is 0); differentiable. */
  readonly logps: tf.Tensor2D;
  /** log π of the policy that sampled the batch, constant; absent when it is the current policy (one update per batch). */
  readonly oldLogps?: tf.Tensor2D;
  /** log π_ref of each token, constant; present when the KL coefficient is not 0. */
  readonly refLogps?: tf.Tensor2D;
  /** 1 on completion tokens (EOS included), 0 on padding. */
  readonly mask: tf.Tensor2D;
  /** One advantage per completion, constant, [b]. */
  readonly advantages: tf.Tensor1D;
  /** The generation limit, for Dr. GRPO's constant normaliser. */
  readonly maxCompletionLength: number;
}

const clipped = (ratio: tf.Tensor, advantages: tf.Tensor, low: number, high: number) =>
  tf.neg(tf.minimum(tf.mul(ratio, advantages), tf.mul(tf.clipByValue(ratio, low, high), advantages)));

const clipShare = (ratio: tf.Tensor, advantages: tf.Tensor, low: number, high: number, mask?: tf.Tensor): tf.Scalar => {
  // A ratio is clipped where the clipped branch is the smaller one: below 1 − ε with A < 0, above 1 + ε with A > 0.
  const isClipped = tf.cast(tf.logicalOr(tf.logicalAnd(tf.less(ratio, low), tf.less(advantages, 0)), tf.logicalAnd(tf.greater(ratio, high), tf.greater(advantages, 0))), 'float32');
  return (mask ? tf.div(tf.sum(tf.mul(isClipped, mask)), tf.maximum(tf.sum(mask), 1)) : tf.mean(isClipped)) as tf.Scalar;
};

export const ReinforceLossConfigSchema = z
  .object({
    epsilon: z.number().positive().default(0.2).describe('Clipping range of the sequence ratio when the batch is reused for several updates (default 0.2).'),
  })
  .strict();

/**
 * REINFORCE / RLOO's sequence-level loss (Ahmadian et al. 2024; TRL's RLOOTrainer): with one
 * update per batch, L = −(1/B) Σ_i A_i · log π_θ(y_i|x) (log π summed over the completion); when
 * the batch is reused, the PPO-style clipped sequence ratio ρ_i = π_θ(y_i|x)/π_old(y_i|x),
 * L = (1/B) Σ_i −min(ρ_i A_i, clip(ρ_i, 1 ± ε) A_i).
 */
export const reinforceLoss: LossDefinition<PolicyGradientInputs, z.infer<typeof ReinforceLossConfigSchema>> = {
  id: 'reinforce',
  description: 'REINFORCE/RLOO sequence-level policy gradient −A·log π(y|x), clipped sequence ratio when a batch is reused',
  inputKind: 'policy-gradient',
  configSchema: ReinforceLossConfigSchema,
  compute({ logps, oldLogps, mask, advantages }, { epsilon }): LossOutput {
    const sequence = tf.sum(tf.mul(logps, mask), 1);
    if (!oldLogps) return { loss: tf.neg(tf.mean(tf.mul(advantages, sequence))) as tf.Scalar };
    const ratio = tf.exp(tf.sub(sequence, tf.sum(tf.mul(oldLogps, mask), 1)));
    return {
      loss: tf.mean(clipped(ratio, advantages, 1 - epsilon, 1 + epsilon)) as tf.Scalar,
      metrics: { clip_ratio: clipShare(ratio, advantages, 1 - epsilon, 1 + epsilon) },
    };
  },
};

export const GrpoLossConfigSchema = z
  .object({
    epsilon: z.number().positive().default(0.2).describe('Lower clipping range of the token ratio (default 0.2).'),
    epsilonHigh: z.number().positive().optional().describe('Upper clipping range (default: `epsilon`; DAPO suggests 0.28).'),
    beta: z.number().min(0).default(0).describe('Weight of the k3 KL estimator in the loss (default 0: no reference model is needed).'),
    lossType: z.enum(['grpo', 'dr-grpo', 'dapo']).default('dapo').describe('How token losses are aggregated: `grpo` — the mean over completions of each completion\'s token mean (length-biased); `dr-grpo` — the sum over B · maxCompletionLength; `dapo` — the sum over the batch\'s completion tokens (default, as TRL).'),
  })
  .strict();

/**
 * GRPO's token-level loss (Shao et al. 2024; TRL's GRPOTrainer): ρ_t = π_θ/π_old per token,
 * ℓ_t = −min(ρ_t A, clip(ρ_t, 1 − ε, 1 + ε_high) A) + β·k3_t with k3 = e^{ref − log π} − (ref − log π) − 1,
 * aggregated by `lossType`. With one update per batch π_old = sg(π_θ): ρ = 1 and the gradient is −A ∇log π.
 */
export const grpoLoss: LossDefinition<PolicyGradientInputs, z.infer<typeof GrpoLossConfigSchema>> = {
  id: 'grpo',
  description: 'GRPO token-level clipped policy gradient with the k3 KL estimator; grpo, dr-grpo or dapo aggregation',
  inputKind: 'policy-gradient',
  configSchema: GrpoLossConfigSchema,
  compute({ logps, oldLogps, refLogps, mask, advantages, maxCompletionLength }, { epsilon, epsilonHigh, beta, lossType }): LossOutput {
    const old = oldLogps ?? stopGradient(logps);
    const ratio = tf.exp(tf.sub(logps, old));
    const a = tf.expandDims(advantages, 1);
    let perToken = clipped(ratio, a, 1 - epsilon, 1 + (epsilonHigh ?? epsilon));
    const metrics: Record<string, tf.Scalar> = { clip_ratio: clipShare(ratio, tf.mul(a, tf.onesLike(ratio)), 1 - epsilon, 1 + (epsilonHigh ?? epsilon), mask) };
    if (beta > 0) {
      if (!refLogps) throw new Error('grpo: beta > 0 needs the reference log-probs');
      const d = tf.sub(refLogps, logps);
      const k3 = tf.sub(tf.sub(tf.exp(d), d), 1);
      perToken = tf.add(perToken, tf.mul(k3, beta));
      metrics.kl = tf.div(tf.sum(tf.mul(k3, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    }
    const masked = tf.mul(perToken, mask);
    const [b] = mask.shape;
    const loss =
      lossType === 'grpo'
        ? tf.mean(tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(mask, 1), 1)))
        : tf.div(tf.sum(masked), lossType === 'dr-grpo' ? b * maxCompletionLength : tf.maximum(tf.sum(mask), 1));
    return { loss: loss as tf.Scalar, metrics };
  },
};
