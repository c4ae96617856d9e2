import { definePlugin } from '@aya-fw/core';
import { srpo } from './srpo';
import { srpoTrainer } from './trainer';

export { srpo, srpoLoss, SrpoConfigSchema, type SrpoConfig, type SrpoLogps, type SrpoTerm } from './srpo';
export { srpoTrainer, SrpoTrainerConfigSchema, type SrpoTrainerConfig } from './trainer';

/** SRPO: loss and trainer. */
export default definePlugin({ name: '@aya-fw/plugin-srpo', contributes: { losses: [srpo], trainers: [srpoTrainer] } });
