import { definePlugin } from '@aya-fw/core';
import { toyHarmJudge } from './harm';
import { mixVsMerge } from './repro/mix-vs-merge';
import { toyJudge, toyReward, toyWorld } from './toy-world';
import { toyTranslate, toyTranslator } from './translate';

export * from './world';
export { GLOBAL_HARMS, harmPrompts, isRefusal, LOCAL_HARMS, toyHarmJudge, type HarmRow } from './harm';
export { TOY_TOKENIZER, toyJudge, toyModelConfig, toyReward, toyWorld, ToyWorldConfigSchema, type ToyWorldConfig } from './toy-world';
export { toyTranslate, toyTranslator };
export { MERGE_WEIGHTS, MIX_VS_MERGE_SIZES, mixVsMerge, type MixMergeRow, type MixVsMergeResult } from './repro/mix-vs-merge';

/** The main job's multilingual world, its judges (pairwise and harm), reward and translator. */
export default definePlugin({
  name: '@aya-fw/plugin-aya-toy',
  contributes: { trainers: [toyWorld], judges: [toyJudge, toyHarmJudge], rewardFunctions: [toyReward], translators: [toyTranslator], reproductions: [mixVsMerge] },
});
