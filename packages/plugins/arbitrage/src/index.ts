import { definePlugin } from '@aya-fw/core';
import { arbitrageTrainer } from './arbitrage';
import { translatedPairs } from './translated-pairs';

export { arbitrageTrainer, ArbitrageConfigSchema, type ArbitrageConfig } from './arbitrage';
export { arbitrate, type Candidate, type Decision } from './select';
export { serves, settleTeachers, TeacherSchema, type Teacher, type TeacherSpec } from './teachers';
export { translatedPairs, TranslatedPairsConfigSchema, type TranslatedPairsConfig } from './translated-pairs';
export { summarize, type ArbitrageSummary, type TeacherSummary } from './summary';

/** Data from a pool of teachers: arbitrage (the Aya Expanse recipe's first stage) and translated multilingual preference pairs. */
export default definePlugin({
  name: '@aya-fw/plugin-arbitrage',
  contributes: { trainers: [arbitrageTrainer, translatedPairs] },
});
