import { z } from 'zod';
import { ParameterSettingSchema } from './parameters';

const DTYPE_NAMES = ['float32', 'bfloat16', 'float16'] as const;

/**
 * A mergekit merge configuration (the `models:` form): `merge_method`, `base_model`,
 * `models[].model` and `.parameters`, global `parameters`, `dtype`, `out_dtype`,
 * `tokenizer_source`. Model paths are local folders, relative to the config file.
 */
export const MergeConfigSchema = z
  .object({
    merge_method: z.string(),
    base_model: z.string().optional(),
    models: z
      .array(z.object({ model: z.string(), parameters: z.record(z.string(), ParameterSettingSchema).optional() }).strict())
      .min(1),
    parameters: z.record(z.string(), ParameterSettingSchema).optional(),
    /** Working dtype in mergekit; aya-fw always computes in f32, and uses this as the default output dtype. */
    dtype: z.enum(DTYPE_NAMES).optional(),
    out_dtype: z.enum(DTYPE_NAMES).optional(),
    /** `base` (default: the base model, else the first model) or a model folder. */
    tokenizer_source: z.string().optional(),
    /** Seed of random methods (DARE); an aya-fw addition. */
    random_seed: z.number().int().nonnegative().optional(),
  })
  .strict();
export type MergeConfig = z.infer<typeof MergeConfigSchema>;
