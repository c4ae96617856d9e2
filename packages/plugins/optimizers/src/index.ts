import { definePlugin, tf, z, type OptimizerDefinition } from '@aya-fw/core';

/** Options of Adam (Kingma & Ba 2015). */
export const AdamConfigSchema = z
  .object({
    learningRate: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
  })
  .strict();

/** Options of SGD with (heavy-ball) momentum. */
export const SgdConfigSchema = z
  .object({
    learningRate: z.number().positive().default(1e-2),
    momentum: z.number().min(0).lt(1).default(0),
  })
  .strict();

export const adam: OptimizerDefinition<z.infer<typeof AdamConfigSchema>> = {
  id: 'adam',
  description: 'Adam with bias correction',
  configSchema: AdamConfigSchema,
  create: (c) => tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon),
};

export const sgd: OptimizerDefinition<z.infer<typeof SgdConfigSchema>> = {
  id: 'sgd',
  description: 'SGD, with heavy-ball momentum when momentum > 0',
  configSchema: SgdConfigSchema,
  create: (c) => (c.momentum > 0 ? tf.train.momentum(c.learningRate, c.momentum) : tf.train.sgd(c.learningRate)),
};

/** The basic optimizers. */
export default definePlugin({
  name: '@aya-fw/plugin-optimizers',
  contributes: { optimizers: [adam, sgd] },
});
