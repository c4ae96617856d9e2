import { definePlugin } from '@aya-fw/core';
import { bradleyTerry } from './bradley-terry';
import { rewardTrainer } from './reward';

export { bradleyTerry, BradleyTerryConfigSchema, type RewardPairs } from './bradley-terry';
export { rewardTrainer, RewardConfigSchema, type RewardConfig } from './reward';

/** Reward-model training: the `reward` trainer and its `bradley-terry` loss. */
export default definePlugin({ name: '@aya-fw/plugin-reward', contributes: { trainers: [rewardTrainer], losses: [bradleyTerry] } });
