import { z } from '@aya-fw/core';

/** One evaluator of a search: an id from the evaluator registry, its options, its weight in the objective. */
export const EvaluatorSpecSchema = z
  .object({
    id: z.string(),
    name: z.string().optional().describe('Name in reports and metrics (default: the id).'),
    config: z.record(z.string(), z.unknown()).default({}),
    weight: z.number().positive().default(1).describe('Weight in the macro-average (default 1).'),
  })
  .strict();
export type EvaluatorSpec = z.infer<typeof EvaluatorSpecSchema>;

/** Options of `merge-search` (a recipe stage, or the YAML of `aya-fw merge-search`). */
export const MergeSearchConfigSchema = z
  .object({
    pool: z.array(z.string()).min(2).describe('The checkpoint pool: model folders or `stage:<name>` outputs, all of one architecture and shape.'),
    method: z.string().default('linear').describe('Merge method from the registry: `linear` (the paper), `task_arithmetic`, `ties`, `dare_ties`…'),
    base: z.string().optional().describe('Base model, for methods that merge task vectors.'),
    genome: z
      .object({
        normalize: z.enum(['abs', 'softmax']).default('abs'),
        layerGroups: z.number().int().positive().default(1).describe('Weight groups along the layer stack (1: one weight per checkpoint).'),
        density: z.boolean().default(false).describe('Search TIES/DARE densities too.'),
      })
      .strict()
      .default({ normalize: 'abs', layerGroups: 1, density: false }),
    evaluators: z.array(EvaluatorSpecSchema).min(1),
    objective: z.enum(['macro-average', 'pareto']).default('macro-average').describe('`macro-average` of the evaluators (the paper), or `pareto`: a front over them by scalarisation sweeps.'),
    sweeps: z.number().int().min(2).default(5).describe('Weight vectors swept for `pareto` (the corners and evenly spaced mixtures).'),
    maxEvaluations: z.number().int().positive().default(100).describe('Evaluations in all (each sweep gets its share).'),
    popsize: z.number().int().min(2).optional().describe('λ (default pycma\'s 4 + ⌊3 ln n⌋).'),
    sigma0: z.number().positive().default(1 / 6).describe('CMA-ES initial step (mergekit-evolve: 1/6).'),
    onFailure: z.enum(['error', 'penalize']).default('error').describe('A candidate whose evaluator throws or returns NaN: stop with an error, or score it worst and go on.'),
    writeFront: z.boolean().default(false).describe('Write the merges of the Pareto front too (the best merge is always written).'),
    title: z.string().default('merge-weight search').describe('Report title.'),
  })
  .strict();
export type MergeSearchConfig = z.infer<typeof MergeSearchConfigSchema>;
