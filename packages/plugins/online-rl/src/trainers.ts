import { groupAdvantages, meanStd, normalizeAdvantages, reinforceAdvantages, rlooAdvantages, updateMovingAverage } from './advantages';
import { GrpoConfigSchema, ReinforceConfigSchema, RlooConfigSchema, type GrpoConfig, type ReinforceConfig, type RlooConfig } from './config';
import { defineOnlineTrainer } from './trainer';

/** `reinforce`: vanilla policy gradient (`baseline: none`) or REINFORCE with a moving-average baseline. */
export const reinforceTrainer = defineOnlineTrainer<ReinforceConfig>({
  id: 'reinforce',
  description: 'REINFORCE on sampled completions: vanilla policy gradient or a moving-average baseline; KL-shaped reward',
  configSchema: ReinforceConfigSchema,
  estimator: {
    rewardBeta: (c) => c.beta,
    lossNeedsReference: () => false,
    advantages(rewards, c, state) {
      if (c.baseline === 'none') return { advantages: reinforceAdvantages(rewards), state };
      const baseline = state.baseline ?? meanStd(rewards).mean;
      return { advantages: reinforceAdvantages(rewards, baseline), state: { baseline: updateMovingAverage(baseline, rewards, c.baselineDecay) } };
    },
  },
});

/** `rloo`: REINFORCE Leave-One-Out (Ahmadian et al. 2024), k samples per prompt. */
export const rlooTrainer = defineOnlineTrainer<RlooConfig>({
  id: 'rloo',
  description: 'RLOO: k samples per prompt, leave-one-out baseline, KL-shaped sequence reward (Back to Basics; TRL RLOOTrainer)',
  configSchema: RlooConfigSchema,
  estimator: {
    rewardBeta: (c) => c.beta,
    lossNeedsReference: () => false,
    advantages(rewards, c, state) {
      const a = rlooAdvantages(rewards, c.numGenerations);
      return { advantages: c.normalizeAdvantages ? normalizeAdvantages(a) : a, state };
    },
  },
});

/** `grpo`: group-normalised advantages, token-level clipped ratio, KL in the loss (TRL GRPOTrainer). */
export const grpoTrainer = defineOnlineTrainer<GrpoConfig>({
  id: 'grpo',
  description: 'GRPO: group-normalised advantages, token-level clipped ratio, k3 KL in the loss; grpo, dr-grpo or dapo aggregation',
  configSchema: GrpoConfigSchema,
  estimator: {
    rewardBeta: () => 0,
    lossNeedsReference: (lossConfig) => Number(lossConfig.beta ?? 0) > 0,
    advantages: (rewards, c, state) => ({ advantages: groupAdvantages(rewards, c.numGenerations, c.scaleRewards), state }),
  },
});
