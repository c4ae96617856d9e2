import { definePlugin } from '@aya-fw/core';
import { preferenceTrainer } from './preference';
import { samplePairs } from './sample-pairs';

export { preferenceTrainer, PreferenceConfigSchema, type PreferenceConfig } from './preference';
export { samplePairs, SamplePairsConfigSchema, type SamplePairsConfig } from './sample-pairs';

/** Preference training with any pairwise loss, and judge-built preference pairs. */
export default definePlugin({ name: '@aya-fw/plugin-preference', contributes: { trainers: [preferenceTrainer, samplePairs] } });
