import { LogProbReductionSchema, tf, z, type LossDefinition, type LossOutput } from '@aya-fw/core';

/** One side of the SRPO inputs: policy and reference log-likelihoods of a completion, with its length. */
export interface SrpoTerm {
  readonly policy: tf.Tensor1D;
  readonly reference: tf.Tensor1D;
  readonly lengths?: tf.Tensor1D;
}

/**
 * The six log-likelihoods SRPO's offline loss needs for a pair (y_w ≻ y_l) of prompt x
 * (`inputKind: 'srpo'`): generation from x, and revision of each draft into each completion.
 */
export interface SrpoLogps {
  /** y_w | x and y_l | x. */
  readonly chosen: SrpoTerm;
  readonly rejected: SrpoTerm;
  /** y_w | x, y_l and y_l | x, y_l (revising the rejected draft). */
  readonly chosenFromRejected: SrpoTerm;
  readonly rejectedFromRejected: SrpoTerm;
  /** y_w | x, y_w and y_l | x, y_w (revising the chosen draft). */
  readonly chosenFromChosen: SrpoTerm;
  readonly rejectedFromChosen: SrpoTerm;
}

/** Options of the SRPO loss. */
export const SrpoConfigSchema = z
  .object({
    beta: z.number().positive().default(0.1).describe('β of both terms (default 0.1).'),
    alpha: z.number().min(0).max(1).default(0.5).describe('Weight α of the self-improvement term; 1 − α weighs the generative term (default 0.5).'),
    reduction: LogProbReductionSchema.default('sum').describe('`sum` (h) or `mean` (h/|y|) log-likelihoods.'),
  })
  .strict();
export type SrpoConfig = z.infer<typeof SrpoConfigSchema>;

function h(term: SrpoTerm, reduction: 'sum' | 'mean'): tf.Tensor1D {
  const d = tf.sub(term.policy, term.reference) as tf.Tensor1D;
  if (reduction === 'sum') return d;
  if (!term.lengths) throw new Error("reduction 'mean' needs the completion lengths of every SRPO term");
  return tf.div(d, term.lengths) as tf.Tensor1D;
}

/**
 * SRPO's offline loss (Choi et al., arXiv 2406.01660; the loss of TRL PR #1772):
 * L_SI = (½ − β[h(y_w|x,y_l) − h(y_l|x,y_l)])² + (½ − β[h(y_w|x,y_w) − h(y_l|x,y_w)])²,
 * L_G = (β[h(y_w|x,y_l) + h(y_w|x) − h(y_l|x,y_w) − h(y_l|x)] − 1)²,
 * L = α·L_SI + (1 − α)·L_G, averaged over the batch. IPO-style squared losses, no stop-gradients.
 */
export function srpoLoss(x: SrpoLogps, config: SrpoConfig): LossOutput {
  const r = config.reduction;
  const b = config.beta;
  const [w, l, wl, ll, ww, lw] = [x.chosen, x.rejected, x.chosenFromRejected, x.rejectedFromRejected, x.chosenFromChosen, x.rejectedFromChosen].map((t) => h(t, r));
  const selfImprovement = tf.add(tf.square(tf.sub(0.5, tf.mul(b, tf.sub(wl, ll)))), tf.square(tf.sub(0.5, tf.mul(b, tf.sub(ww, lw)))));
  const generative = tf.square(tf.sub(tf.mul(b, tf.sub(tf.add(wl, w), tf.add(lw, l))), 1));
  const perPair = tf.add(tf.mul(config.alpha, selfImprovement), tf.mul(1 - config.alpha, generative));
  return {
    loss: tf.mean(perPair) as tf.Scalar,
    metrics: {
      'srpo/self_improvement': tf.mean(selfImprovement) as tf.Scalar,
      'srpo/generative': tf.mean(generative) as tf.Scalar,
      'rewards/margin': tf.mean(tf.mul(b, tf.sub(w, l))) as tf.Scalar,
      'rewards/accuracy': tf.mean(tf.cast(tf.greater(w, l), 'float32')) as tf.Scalar,
      'revision/accuracy': tf.mean(tf.cast(tf.greater(wl, ll), 'float32')) as tf.Scalar,
    },
  };
}

export const srpo: LossDefinition<SrpoLogps, SrpoConfig> = {
  id: 'srpo',
  description: 'SRPO offline loss: α·self-improvement + (1−α)·generative, IPO-style squared terms',
  inputKind: 'srpo',
  configSchema: SrpoConfigSchema,
  compute: srpoLoss,
};
