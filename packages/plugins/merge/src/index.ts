import { definePlugin } from '@aya-fw/core';
import { arceeFusion } from './methods/arcee-fusion';
import { karcher } from './methods/karcher';
import { linear } from './methods/linear';
import { modelStock } from './methods/model-stock';
import { multislerp } from './methods/multislerp';
import { nearswap } from './methods/nearswap';
import { nuslerp } from './methods/nuslerp';
import { passthrough } from './methods/passthrough';
import { ram, ramplusTl } from './methods/ram';
import { sce } from './methods/sce';
import { slerpMethod } from './methods/slerp';
import { breadcrumbs, breadcrumbsTies, dareLinear, dareTies, della, dellaLinear, taskArithmetic, ties } from './methods/task-arithmetic';
import { mergeStage } from './merge-stage';

export { arceeFusion } from './methods/arcee-fusion';
export { karcher, karcherMean } from './methods/karcher';
export { linear } from './methods/linear';
export { modelStock } from './methods/model-stock';
export { multislerp } from './methods/multislerp';
export { nearswap } from './methods/nearswap';
export { nuslerp, nuslerpVectors } from './methods/nuslerp';
export { passthrough } from './methods/passthrough';
export { ram, ramplusTl } from './methods/ram';
export { sce } from './methods/sce';
export { mergeStage, MergeStageConfigSchema, type MergeStageConfig } from './merge-stage';
export { slerp, slerpMethod } from './methods/slerp';
export {
  breadcrumbs, breadcrumbsTies, dareLinear, dareTies, della, dellaLinear, mergeTaskVectors, taskArithmetic, ties, type TaskArithmeticVariant,
} from './methods/task-arithmetic';
export { dropAndRescale, kthLargestMagnitude, magPrune, matchL1, trimByMagnitude, trimOutliers, type Rescale } from './sparsify';

/** Merge methods with mergekit's semantics (every method of mergekit's registry), and the `merge` recipe stage. */
export default definePlugin({
  name: '@aya-fw/plugin-merge',
  contributes: {
    trainers: [mergeStage],
    mergeMethods: [
      linear, taskArithmetic, ties, dareLinear, dareTies, breadcrumbs, breadcrumbsTies, della, dellaLinear,
      slerpMethod, nuslerp, multislerp, karcher, modelStock, sce, ram, ramplusTl, nearswap, arceeFusion, passthrough,
    ],
  },
});
