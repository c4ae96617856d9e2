import { AyaOptimizer, adamUpdate, tf, z, type OptimizerDefinition } from '@aya-fw/core';

const AdamFields = {
  learningRate: z.number().positive().default(1e-3).describe('Step size (a schedule scales it per update).'),
  beta1: z.number().min(0).lt(1).default(0.9).describe('Decay of the first-moment (mean) estimate.'),
  beta2: z.number().min(0).lt(1).default(0.999).describe('Decay of the second-moment (uncentred variance) estimate.'),
  epsilon: z.number().positive().default(1e-8).describe('Added to the denominator for stability.'),
};

/** Options of AdamW (decoupled weight decay, default 0.01 as in PyTorch). */
export const AdamWConfigSchema = z.object({ ...AdamFields, weightDecay: z.number().min(0).default(0.01).describe('Decoupled weight decay λ: θ ← θ·(1 − lr·λ) before each step.') }).strict();
/** Options of Adam (weight decay added to the gradient, as PyTorch's `Adam(weight_decay=…)`; default 0). */
export const AdamConfigSchema = z.object({ ...AdamFields, weightDecay: z.number().min(0).default(0).describe('L2 penalty λ added to the gradient (λθ).') }).strict();
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
    const m = this.slot(variable, 'exp_avg');
    const v = this.slot(variable, 'exp_avg_sq');
    const next = adamUpdate(variable, gradient, m, v, { ...this.config, learningRate: this.learningRate, decoupled: this.decoupled, step: this.step });
    m.assign(next.m);
    v.assign(next.v);
    variable.assign(next.param);
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
