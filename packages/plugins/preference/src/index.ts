import { definePlugin } from '@aya-fw/core';
import { onlineDpo } from './online-dpo';
import { preferenceTrainer } from './preference';
import { samplePairs } from './sample-pairs';

export { preferenceTrainer, PreferenceConfigSchema, type PreferenceConfig } from './preference';
export { bestWorstPairs, onlineDpo, OnlineDpoConfigSchema, type OnlineDpoConfig } from './online-dpo';
export { samplePairs, SamplePairsConfigSchema, type SamplePairsConfig } from './sample-pairs';

/** Preference training with any pairwise loss, judge-built preference pairs, and online iterative DPO. */
export default definePlugin({ name: '@aya-fw/plugin-preference', contributes: { trainers: [preferenceTrainer, samplePairs, onlineDpo] } });
