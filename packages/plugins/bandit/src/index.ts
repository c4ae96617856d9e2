import { definePlugin } from '@aya-fw/core';
import { copgBandit } from './repro';
import { banditTrainer } from './trainer';

export * from './bandit';
export { banditTrainer } from './trainer';
export { copgBandit, COPG_BANDIT_METHODS } from './repro';

/** The CoPG paper's bandit: a trainer and the `copg-bandit` reproduction. */
export default definePlugin({
  name: '@aya-fw/plugin-bandit',
  contributes: { trainers: [banditTrainer], reproductions: [copgBandit] },
});
