import { definePlugin } from '@aya-fw/core';
import { arbitrageTrainer } from './arbitrage';

export { arbitrageTrainer, ArbitrageConfigSchema, type ArbitrageConfig } from './arbitrage';
export { arbitrate, type Candidate, type Decision } from './select';
export { serves, settleTeachers, TeacherSchema, type Teacher, type TeacherSpec } from './teachers';
export { summarize, type ArbitrageSummary, type TeacherSummary } from './summary';

/** Data arbitrage over a pool of teachers (the Aya Expanse recipe's first stage). */
export default definePlugin({
  name: '@aya-fw/plugin-arbitrage',
  contributes: { trainers: [arbitrageTrainer] },
});
