import { z } from '@aya-fw/core';

/** One evaluator of a search: an id from the evaluator registry, its options, its weight in the objective. */
export const EvaluatorSpecSchema = z
  .object({
    id: z.string(),
    /** Name in reports and metrics (default: the id). */
    name: z.string().optional(),
    config: z.record(z.string(), z.unknown()).default({}),
    /** Weight in the macro-average (default 1). */
    weight: z.number().positive().default(1),
  })
  .strict();
export type EvaluatorSpec = z.infer<typeof EvaluatorSpecSchema>;

/** Options of `merge-search` (a recipe stage, or the YAML of `aya-fw merge-search`). */
export const MergeSearchConfigSchema = z
  .object({
    /** The checkpoint pool: model folders or `stage:<name>` outputs, all of one architecture and shape. */
    pool: z.array(z.string()).min(2),
    /** Merge method from the registry: `linear` (the paper), `task_arithmetic`, `ties`, `dare_ties`… */
    method: z.string().default('linear'),
    /** Base model, for methods that merge task vectors. */
    base: z.string().optional(),
    genome: z
      .object({
        normalize: z.enum(['abs', 'softmax']).default('abs'),
        /** Weight groups along the layer stack (1: one weight per checkpoint). */
        layerGroups: z.number().int().positive().default(1),
        /** Search TIES/DARE densities too. */
        density: z.boolean().default(false),
      })
      .strict()
      .default({ normalize: 'abs', layerGroups: 1, density: false }),
    evaluators: z.array(EvaluatorSpecSchema).min(1),
    /** `macro-average` of the evaluators (the paper), or `pareto`: a front over them by scalarisation sweeps. */
    objective: z.enum(['macro-average', 'pareto']).default('macro-average'),
    /** Weight vectors swept for `pareto` (the corners and evenly spaced mixtures). */
    sweeps: z.number().int().min(2).default(5),
    /** Evaluations in all (each sweep gets its share). */
    maxEvaluations: z.number().int().positive().default(100),
    /** λ (default pycma's 4 + ⌊3 ln n⌋). */
    popsize: z.number().int().min(2).optional(),
    /** CMA-ES initial step (mergekit-evolve: 1/6). */
    sigma0: z.number().positive().default(1 / 6),
    /** A candidate whose evaluator throws or returns NaN: stop with an error, or score it worst and go on. */
    onFailure: z.enum(['error', 'penalize']).default('error'),
    /** Write the merges of the Pareto front too (the best merge is always written). */
    writeFront: z.boolean().default(false),
    /** Report title. */
    title: z.string().default('merge-weight search'),
  })
  .strict();
export type MergeSearchConfig = z.infer<typeof MergeSearchConfigSchema>;
