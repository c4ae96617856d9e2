import { definePlugin } from '@aya-fw/core';
import { toyJudge, toyReward, toyWorld } from './toy-world';

export * from './world';
export { toyJudge, toyReward, toyWorld, ToyWorldConfigSchema, type ToyWorldConfig } from './toy-world';

/** The main job's multilingual world, judge and reward. */
export default definePlugin({
  name: '@aya-fw/plugin-aya-toy',
  contributes: { trainers: [toyWorld], judges: [toyJudge], rewardFunctions: [toyReward] },
});
