import { definePlugin } from '@aya-fw/core';
import { linear } from './methods/linear';
import { mergeStage } from './merge-stage';
import { slerpMethod } from './methods/slerp';
import { dareLinear, dareTies, taskArithmetic, ties } from './methods/task-arithmetic';

export { linear } from './methods/linear';
export { mergeStage, MergeStageConfigSchema, type MergeStageConfig } from './merge-stage';
export { slerp, slerpMethod } from './methods/slerp';
export { dareLinear, dareTies, mergeTaskVectors, taskArithmetic, ties, type TaskArithmeticVariant } from './methods/task-arithmetic';
export { dropAndRescale, kthLargest, trimByMagnitude } from './sparsify';

/** Merge methods with mergekit's semantics, and the `merge` recipe stage. */
export default definePlugin({
  name: '@aya-fw/plugin-merge',
  contributes: { trainers: [mergeStage], mergeMethods: [linear, taskArithmetic, ties, dareLinear, dareTies, slerpMethod] },
});
