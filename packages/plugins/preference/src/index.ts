import { definePlugin } from '@aya-fw/core';
import { preferenceTrainer } from './preference';

export { preferenceTrainer, PreferenceConfigSchema, type PreferenceConfig } from './preference';

/** Offline preference training with any pairwise loss. */
export default definePlugin({ name: '@aya-fw/plugin-preference', contributes: { trainers: [preferenceTrainer] } });
