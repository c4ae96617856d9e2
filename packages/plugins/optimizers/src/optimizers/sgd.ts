import { AyaOptimizer, tf, z, type OptimizerDefinition } from '@aya-fw/core';

/** Options of SGD. */
export const SgdConfigSchema = z
  .object({
    learningRate: z.number().positive().default(1e-2).describe('Step size (a schedule scales it per update).'),
    momentum: z.number().min(0).lt(1).default(0).describe('Momentum factor (PyTorch SGD; 0: plain SGD).'),
    weightDecay: z.number().min(0).default(0).describe('L2 penalty λ added to the gradient.'),
  })
  .strict();
type SgdConfig = z.infer<typeof SgdConfigSchema>;

/** SGD with heavy-ball momentum as PyTorch: b ← μb + g (b = g at the first step); θ ← θ − lr·b. */
export class SgdOptimizer extends AyaOptimizer {
  constructor(private readonly config: SgdConfig) {
    super(config.learningRate);
  }

  protected update(variable: tf.Variable, gradient: tf.Tensor): void {
    let g = gradient;
    if (this.config.weightDecay > 0) g = tf.add(g, tf.mul(this.config.weightDecay, variable));
    if (this.config.momentum > 0) {
      const buf = this.slot(variable, 'momentum_buffer');
      buf.assign(this.step === 1 ? g : tf.add(tf.mul(this.config.momentum, buf), g));
      g = buf;
    }
    variable.assign(tf.sub(variable, tf.mul(this.learningRate, g)));
  }
}

export const sgd: OptimizerDefinition<SgdConfig> = {
  id: 'sgd',
  description: 'SGD with optional heavy-ball momentum and L2 weight decay (PyTorch semantics)',
  configSchema: SgdConfigSchema,
  create: (c) => new SgdOptimizer(c),
};
