import { definePlugin } from '@aya-fw/core';
import { dpo } from './dpo';
import { ipo } from './ipo';

export { dpo, dpoLoss, DpoConfigSchema, type DpoConfig } from './dpo';
export { ipo, ipoLoss, IpoConfigSchema, type IpoConfig } from './ipo';

/** DPO and IPO, with sum or length-averaged log-likelihoods. */
export default definePlugin({
  name: '@aya-fw/plugin-dpo',
  contributes: { losses: [dpo, ipo] },
});
