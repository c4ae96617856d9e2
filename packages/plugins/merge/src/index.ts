import { definePlugin } from '@aya-fw/core';
import { linear } from './methods/linear';
import { slerpMethod } from './methods/slerp';
import { dareLinear, dareTies, taskArithmetic, ties } from './methods/task-arithmetic';

export { linear } from './methods/linear';
export { slerp, slerpMethod } from './methods/slerp';
export { dareLinear, dareTies, mergeTaskVectors, taskArithmetic, ties, type TaskArithmeticVariant } from './methods/task-arithmetic';
export { dropAndRescale, kthLargest, trimByMagnitude } from './sparsify';

/** Merge methods with mergekit's semantics. */
export default definePlugin({
  name: '@aya-fw/plugin-merge',
  contributes: { mergeMethods: [linear, taskArithmetic, ties, dareLinear, dareTies, slerpMethod] },
});
