import { AyaOptimizer, tf, z, type OptimizerDefinition } from '@aya-fw/core';

const AdamFields = {
  learningRate: z.number().positive().default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
};

/** Options of AdamW (decoupled weight decay, default 0.01 as in PyTorch). */
export const AdamWConfigSchema = z.object({ ...AdamFields, weightDecay: z.number().min(0).default(0.01) }).strict();
/** Options of Adam (weight decay added to the gradient, as PyTorch's `Adam(weight_decay=…)`; default 0). */
export const AdamConfigSchema = z.object({ ...AdamFields, weightDecay: z.number().min(0).default(0) }).strict();
type AdamConfig = z.infer<typeof AdamWConfigSchema>;

/**
 * Adam with bias correction as PyTorch computes it. `decoupled` (AdamW, Loshchilov & Hutter
 * 2019): θ ← θ·(1 − lr·λ) before the Adam step; otherwise λθ is added to the gradient.
 */
export class AdamOptimizer extends AyaOptimizer {
  constructor(
    private readonly config: AdamConfig,
    private readonly decoupled: boolean,
  ) {
    super(config.learningRate);
  }

  protected update(variable: tf.Variable, gradient: tf.Tensor): void {
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const lr = this.learningRate;
    let g = gradient;
    if (weightDecay > 0 && !this.decoupled) g = tf.add(g, tf.mul(weightDecay, variable));
    const m = this.slot(variable, 'exp_avg');
    const v = this.slot(variable, 'exp_avg_sq');
    m.assign(tf.add(tf.mul(beta1, m), tf.mul(1 - beta1, g)));
    v.assign(tf.add(tf.mul(beta2, v), tf.mul(1 - beta2, tf.square(g))));
    const c1 = 1 - Math.pow(beta1, this.step);
    const c2 = Math.sqrt(1 - Math.pow(beta2, this.step));
    let theta: tf.Tensor = variable;
    if (weightDecay > 0 && this.decoupled) theta = tf.mul(theta, 1 - lr * weightDecay);
    const denom = tf.add(tf.div(tf.sqrt(v), c2), epsilon);
    variable.assign(tf.sub(theta, tf.mul(lr / c1, tf.div(m, denom))));
  }
}

export const adamw: OptimizerDefinition<AdamConfig> = {
  id: 'adamw',
  description: 'AdamW: Adam with decoupled weight decay (PyTorch semantics)',
  configSchema: AdamWConfigSchema,
  create: (c) => new AdamOptimizer(c, true),
};

export const adam: OptimizerDefinition<AdamConfig> = {
  id: 'adam',
  description: 'Adam with bias correction; optional L2 weight decay on the gradient',
  configSchema: AdamConfigSchema,
  create: (c) => new AdamOptimizer(c, false),
};
