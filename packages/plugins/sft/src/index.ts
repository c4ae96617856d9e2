import { definePlugin } from '@aya-fw/core';
import { crossEntropy } from './cross-entropy';
import { sftTrainer } from './sft';

export { crossEntropy, CrossEntropyConfigSchema, type TokenLogps } from './cross-entropy';
export { sequenceCrossEntropy, sftTrainer, SftConfigSchema, tokenLogps, type SftConfig } from './sft';

/** Supervised fine-tuning: the `sft` trainer and its `cross-entropy` loss. */
export default definePlugin({ name: '@aya-fw/plugin-sft', contributes: { trainers: [sftTrainer], losses: [crossEntropy] } });
