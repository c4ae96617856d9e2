import { definePlugin } from '@aya-fw/core';
import { grpoLoss, reinforceLoss } from './losses';
import { backToBasics } from './repro/back-to-basics';
import { grpoTrainer, reinforceTrainer, rlooTrainer } from './trainers';

export * from './advantages';
export * from './config';
export { grpoLoss, GrpoLossConfigSchema, reinforceLoss, ReinforceLossConfigSchema, type PolicyGradientInputs } from './losses';
export { frozenLogps, rollout, sequenceLogps, type OnlinePrompt, type Rollout, type RolloutOptions } from './rollout';
export { defineOnlineTrainer, greedyReward, type Estimator, type EstimatorState, type OnlineTrainerSpec } from './trainer';
export { grpoTrainer, reinforceTrainer, rlooTrainer } from './trainers';
export { benchRl, type BenchRlResult } from './bench-rl';
export { BACK_TO_BASICS_METHODS, BACK_TO_BASICS_SIZES, backToBasics, runBackToBasics, summarizeBackToBasics, type BackToBasicsMethod, type BackToBasicsOptions, type BackToBasicsResult, type MethodResult } from './repro/back-to-basics';

/** Online RL: the `reinforce`, `rloo` and `grpo` trainers, their losses, and `aya-fw repro back-to-basics`. */
export default definePlugin({
  name: '@aya-fw/plugin-online-rl',
  contributes: { trainers: [reinforceTrainer, rlooTrainer, grpoTrainer], losses: [reinforceLoss, grpoLoss], reproductions: [backToBasics] },
});
