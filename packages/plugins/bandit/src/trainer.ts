import { lossContribution, writeJsonAtomic, type TrainerDefinition } from '@aya-fw/core';
import { join } from 'node:path';
import { BanditConfigSchema, trainBandit, type BanditConfig } from './bandit';

/** `bandit`: trains a softmax policy on the CoPG paper's bandit with any pairwise loss. */
export const banditTrainer: TrainerDefinition<BanditConfig> = {
  id: 'bandit',
  description: "Softmax policy on the CoPG paper's K-armed bandit, trained with any registered pairwise loss; reports regret",
  configSchema: BanditConfigSchema,
  contributions: (c) => [
    lossContribution(c, 'pairwise'),
    { kind: 'optimizers', id: c.optimizer, idPath: ['optimizer'], config: c.optimizerConfig, configPath: ['optimizerConfig'] },
  ],
  async run(ctx) {
    const outcome = trainBandit(ctx.engine, ctx.config, { seed: ctx.seed, stage: ctx.stage });
    const file = join(ctx.outDir, 'bandit.json');
    writeJsonAtomic(file, { loss: ctx.config.loss, lossConfig: ctx.config.lossConfig, ...outcome });
    return {
      metrics: { regret: outcome.regret, final_loss: outcome.finalLoss, steps: outcome.steps, ...outcome.finalMetrics },
      artifacts: { result: file },
    };
  },
};
