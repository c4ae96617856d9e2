// An aya-fw loss plugin, as a user writes one: plain CommonJS, no build step.
// Load it with `aya-fw --plugins hinge …` once it is installed as `aya-fw-plugin-hinge`
// (or with `--plugins ./path/to/this/folder`), then name the loss `hinge` in a recipe.
'use strict';
const { definePlugin, pairwiseLogRatios, tf, z, LogProbReductionSchema } = require('@aya-fw/core');

const HingeConfigSchema = z
  .object({
    /** δ, the margin the scaled log-ratio difference must clear (default 1). */
    margin: z.number().positive().default(1),
    /** β, the scale of the log-ratios (default 0.1). */
    beta: z.number().positive().default(0.1),
    reduction: LogProbReductionSchema.default('sum'),
  })
  .strict();

/**
 * SLiC-HF's hinge loss (Zhao et al. 2023) on policy/reference log-ratios:
 * L = max(0, δ − β·(h(y_w|x) − h(y_l|x))), averaged over the batch.
 */
function hingeLoss(inputs, config) {
  const h = pairwiseLogRatios(inputs, config.reduction);
  const margin = tf.mul(config.beta, tf.sub(h.chosen, h.rejected));
  const perPair = tf.relu(tf.sub(config.margin, margin));
  return {
    loss: tf.mean(perPair),
    metrics: { 'hinge/active': tf.mean(tf.cast(tf.greater(perPair, 0), 'float32')) },
  };
}

exports.default = definePlugin({
  name: 'aya-fw-plugin-hinge',
  contributes: {
    losses: [
      {
        id: 'hinge',
        description: 'SLiC hinge loss max(0, δ − β·Δ) on policy/reference log-ratios',
        inputKind: 'pairwise',
        configSchema: HingeConfigSchema,
        compute: hingeLoss,
      },
    ],
  },
});
exports.hingeLoss = hingeLoss;
