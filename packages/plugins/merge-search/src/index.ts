import { definePlugin } from '@aya-fw/core';
import { recycle } from './repro/recycle';
import { recycleTaskEvaluator } from './repro/tasks';
import { mergeSearch } from './trainer';

export { EvaluatorSpecSchema, MergeSearchConfigSchema, type EvaluatorSpec, type MergeSearchConfig } from './config';
export { decodeGenome, genomeSize, initialGenome, simplex, tensorGroup, type DecodedGenome, type GenomeSpec } from './genome';
export { dominates, paretoFront, sweepWeights } from './pareto';
export { CheckpointPool } from './pool';
export { recycle, RECYCLE_POOL, RECYCLE_SIZES, type RecycleResult, type RecycleSeedResult } from './repro/recycle';
export { RECYCLE_MODEL_CONFIG, RECYCLE_TASKS, recycleTaskEvaluator, taskAccuracy, taskExample } from './repro/tasks';
export { runMergeSearch, type Candidate, type SearchContext, type SearchResult } from './search';
export { mergeSearch, nonzeroShare, writeSearchReport } from './trainer';

/**
 * Merge-weight search ("If You Can't Use Them, Recycle Them"): the `merge-search` trainer (CMA-ES
 * over a checkpoint pool, scored by evaluators), and `aya-fw repro recycle`.
 */
export default definePlugin({
  name: '@aya-fw/plugin-merge-search',
  contributes: { trainers: [mergeSearch], evaluators: [recycleTaskEvaluator], reproductions: [recycle] },
});
