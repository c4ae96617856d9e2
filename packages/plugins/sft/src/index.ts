import { definePlugin } from '@aya-fw/core';
import { sftTrainer } from './sft';

export { maskedCrossEntropy, sftTrainer, SftConfigSchema, type SftConfig } from './sft';

/** Supervised fine-tuning. */
export default definePlugin({ name: '@aya-fw/plugin-sft', contributes: { trainers: [sftTrainer] } });
