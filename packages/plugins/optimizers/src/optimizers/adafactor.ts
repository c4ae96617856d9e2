import { AyaOptimizer, tf, z, type OptimizerDefinition } from '@aya-fw/core';

/** Options of Adafactor with an external learning rate (the MoV paper: decay 0.8, constant lr 3e-4). */
export const AdafactorConfigSchema = z
  .object({
    learningRate: z.number().positive().default(3e-4).describe('Step size (relative step sizes are not used).'),
    decayRate: z.number().positive().default(0.8).describe('Second-moment decay β₂ₜ = 1 − t^(−decayRate).'),
    beta1: z.number().min(0).lt(1).default(0).describe('First-moment β₁; 0 keeps no first moment (the default).'),
    epsilon1: z.number().positive().default(1e-30).describe('Regularisation added to the squared gradient.'),
    clipThreshold: z.number().positive().default(1).describe('Clip the update\'s RMS to this value.'),
    weightDecay: z.number().min(0).default(0).describe('Decoupled weight decay.'),
  })
  .strict();
type AdafactorConfig = z.infer<typeof AdafactorConfigSchema>;

/**
 * Adafactor (Shazeer & Stern 2018) as transformers implements it with
 * `scale_parameter=False, relative_step=False`: factored second moments for matrices
 * (row and column means of g² + ε₁), full ones for vectors, update clipped to RMS ≤ d.
 */
export class AdafactorOptimizer extends AyaOptimizer {
  constructor(private readonly config: AdafactorConfig) {
    super(config.learningRate);
  }

  protected update(variable: tf.Variable, gradient: tf.Tensor): void {
    const c = this.config;
    const beta2t = 1 - Math.pow(this.step, -c.decayRate);
    const gradSq = tf.add(tf.square(gradient), c.epsilon1);
    let update: tf.Tensor;
    const shape = variable.shape;
    if (shape.length >= 2) {
      const rowShape = shape.slice(0, -1);
      const colShape = [...shape.slice(0, -2), shape[shape.length - 1]];
      const row = this.slot(variable, 'exp_avg_sq_row', rowShape);
      const col = this.slot(variable, 'exp_avg_sq_col', colShape);
      row.assign(tf.add(tf.mul(beta2t, row), tf.mul(1 - beta2t, tf.mean(gradSq, -1))));
      col.assign(tf.add(tf.mul(beta2t, col), tf.mul(1 - beta2t, tf.mean(gradSq, -2))));
      const rFactor = tf.expandDims(tf.rsqrt(tf.div(row, tf.mean(row, -1, true))), -1);
      const cFactor = tf.expandDims(tf.rsqrt(col), -2);
      update = tf.mul(tf.mul(rFactor, cFactor), gradient);
    } else {
      const v = this.slot(variable, 'exp_avg_sq');
      v.assign(tf.add(tf.mul(beta2t, v), tf.mul(1 - beta2t, gradSq)));
      update = tf.mul(tf.rsqrt(v), gradient);
    }
    const rms = tf.sqrt(tf.mean(tf.square(update)));
    update = tf.div(update, tf.maximum(1, tf.div(rms, c.clipThreshold)));
    if (c.beta1 > 0) {
      const m = this.slot(variable, 'exp_avg');
      m.assign(tf.add(tf.mul(c.beta1, m), tf.mul(1 - c.beta1, update)));
      update = m;
    }
    let theta: tf.Tensor = variable;
    if (c.weightDecay > 0) theta = tf.mul(theta, 1 - c.weightDecay * this.learningRate);
    variable.assign(tf.sub(theta, tf.mul(this.learningRate, update)));
  }
}

export const adafactor: OptimizerDefinition<AdafactorConfig> = {
  id: 'adafactor',
  description: 'Adafactor with factored second moments and update clipping (transformers semantics, external lr)',
  configSchema: AdafactorConfigSchema,
  create: (c) => new AdafactorOptimizer(c),
};
