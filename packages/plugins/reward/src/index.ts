import { definePlugin } from '@aya-fw/core';
import { rewardTrainer } from './reward';

export { bradleyTerryLoss, rewardTrainer, RewardConfigSchema, type RewardConfig } from './reward';

/** Reward-model training. */
export default definePlugin({ name: '@aya-fw/plugin-reward', contributes: { trainers: [rewardTrainer] } });
