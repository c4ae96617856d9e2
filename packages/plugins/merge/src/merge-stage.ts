import { MergeConfigSchema, resolveInput, runMerge, z, type TrainerDefinition } from '@aya-fw/core';
import { join } from 'node:path';

/**
 * Options of the `merge` stage: a mergekit config written in the stage's `with:`, whose
 * `models[].model`, `base_model` and `tokenizer_source` may name earlier stages
 * (`stage:<name>`, that stage's `model` output). `merge_method` defaults to `linear`, the Aya
 * Expanse recipe's weighted linear average.
 */
export const MergeStageConfigSchema = MergeConfigSchema.extend({
  merge_method: z.string().default('linear'),
  /** Largest output shard in bytes (default 5 GB). */
  maxShardSize: z.number().int().positive().optional(),
}).strict();
export type MergeStageConfig = z.infer<typeof MergeStageConfigSchema>;

/**
 * `merge`: a recipe stage that merges earlier stages' models (language-cluster runs, checkpoints
 * of one run) with any registered merge method, streamed as `aya-fw merge` does; its `model`
 * output feeds later stages.
 */
export const mergeStage: TrainerDefinition<MergeStageConfig> = {
  id: 'merge',
  description: 'Merge earlier stages’ models (stage:<name>) with a mergekit config; weighted linear by default',
  configSchema: MergeStageConfigSchema,
  contributions: (c) => [{ kind: 'mergeMethods', id: c.merge_method.replace(/_/g, '-'), idPath: ['merge_method'] }],
  async run(ctx) {
    const { maxShardSize, ...config } = ctx.config;
    const model = (ref: string) => resolveInput(ctx, ref, 'model');
    const value = {
      ...config,
      models: config.models.map((m) => ({ ...m, model: model(m.model) })),
      ...(config.base_model ? { base_model: model(config.base_model) } : {}),
      ...(config.tokenizer_source && config.tokenizer_source !== 'base' ? { tokenizer_source: model(config.tokenizer_source) } : {}),
    };
    const outDir = join(ctx.outDir, 'model');
    const summary = await runMerge(ctx.engine, { value, where: `stage '${ctx.stage}'`, baseDir: ctx.baseDir }, { outDir, maxShardSize, overwrite: true });
    ctx.reporter.info(`${ctx.stage}: merged ${config.models.length} models with ${summary.method} (${summary.tensors} tensors, ${summary.seconds.toFixed(1)} s)`);
    return { metrics: { models: config.models.length, tensors: summary.tensors, seconds: summary.seconds }, artifacts: { model: outDir } };
  },
};
