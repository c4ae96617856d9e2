import { MergeConfigSchema, resolveInput, runMerge, z, type TrainerDefinition } from '@aya-fw/core';
import { join } from 'node:path';

/**
 * Options of the `merge` stage: a mergekit config written in the stage's `with:`, whose
 * `models[].model`, `slices[].sources[].model`, `base_model`, `tokenizer_source` and the
 * `tokenizer:` section's models may name earlier stages
 * (`stage:<name>`, that stage's `model` output). `merge_method` defaults to `linear`, the Aya
 * Expanse recipe's weighted linear average.
 */
export const MergeStageConfigSchema = MergeConfigSchema.extend({
  merge_method: z.string().default('linear'),
  maxShardSize: z.number().int().positive().optional().describe('Largest output shard in bytes (default 5 GB).'),
}).strict();
export type MergeStageConfig = z.infer<typeof MergeStageConfigSchema>;

/** The `tokenizer:` section with its model references (`source`, tokens' sources) resolved like `models[].model`. */
function tokenizerSection(section: NonNullable<MergeStageConfig['tokenizer']>, model: (ref: string) => string): MergeStageConfig['tokenizer'] {
  const tokens = Object.fromEntries(
    Object.entries(section.tokens ?? {}).map(([tok, t]) => {
      const source = t.source;
      const resolved = typeof source === 'string' ? model(source) : source && source.kind === 'model_token' ? { ...source, model: model(source.model) } : source;
      return [tok, { ...t, ...(resolved === undefined ? {} : { source: resolved }) }];
    }),
  );
  return { ...section, source: tokenizerSource(section.source, model), ...(section.tokens ? { tokens } : {}) };
}

/** A tokenizer source: `base` and `union` as they are, anything else a model reference. */
function tokenizerSource(ref: string, model: (ref: string) => string): string {
  return ref === 'base' || ref === 'union' ? ref : model(ref);
}

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
      ...(config.models ? { models: config.models.map((m) => ({ ...m, model: model(m.model) })) } : {}),
      ...(config.slices ? { slices: config.slices.map((s) => ({ ...s, ...(s.base_model ? { base_model: model(s.base_model) } : {}), sources: s.sources.map((src) => ({ ...src, model: model(src.model) })) })) } : {}),
      ...(config.base_model ? { base_model: model(config.base_model) } : {}),
      ...(config.tokenizer_source ? { tokenizer_source: tokenizerSource(config.tokenizer_source, model) } : {}),
      ...(config.tokenizer ? { tokenizer: tokenizerSection(config.tokenizer, model) } : {}),
    };
    const outDir = join(ctx.outDir, 'model');
    const summary = await runMerge(ctx.engine, { value, where: `stage '${ctx.stage}'`, baseDir: ctx.baseDir }, { outDir, maxShardSize, overwrite: true, onWarning: (m) => ctx.reporter.warn(m) });
    const models = summary.models;
    ctx.reporter.info(`${ctx.stage}: merged ${models} models with ${summary.method} (${summary.tensors} tensors, ${summary.seconds.toFixed(1)} s)`);
    return { metrics: { models, tensors: summary.tensors, seconds: summary.seconds }, artifacts: { model: outDir } };
  },
};
