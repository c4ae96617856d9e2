import { definePlugin } from '@aya-fw/core';
import { copg } from './copg';

export { copg, copgLoss, CopgConfigSchema, type CopgConfig } from './copg';

/** Contrastive Policy Gradient. */
export default definePlugin({
  name: '@aya-fw/plugin-copg',
  contributes: { losses: [copg] },
});
