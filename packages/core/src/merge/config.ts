import { z } from 'zod';
import { ParameterSettingSchema } from './parameters';
import { TokenizerSectionSchema } from './tokenizer-merge';

const DTYPE_NAMES = ['float32', 'bfloat16', 'float16'] as const;
const Parameters = z.record(z.string(), ParameterSettingSchema);

/** A layer range of one model in a slice: `layer_range: [start, end)` (mergekit's `InputSliceDefinition`). */
export const SliceSourceSchema = z
  .object({
    model: z.string(),
    layer_range: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
    parameters: Parameters.optional(),
  })
  .strict();

/** One output slice: the sources merged layer by layer, renumbered after the slices before it. */
export const OutputSliceSchema = z
  .object({
    sources: z.array(SliceSourceSchema).min(1),
    base_model: z.string().optional(),
    parameters: Parameters.optional(),
  })
  .strict();

/**
 * A mergekit merge configuration: `merge_method`, `base_model`, either `models[].model` and
 * `.parameters` or `slices[].sources[]` with layer ranges, global `parameters`, `dtype`,
 * `out_dtype`, `tokenizer_source`, `chat_template`. Model paths are local folders, relative to
 * the config file; `model+lora` merges a PEFT LoRA folder into the model first.
 */
export const MergeConfigSchema = z
  .object({
    merge_method: z.string(),
    base_model: z.string().optional(),
    models: z.array(z.object({ model: z.string(), parameters: Parameters.optional() }).strict()).min(1).optional(),
    slices: z.array(OutputSliceSchema).min(1).optional(),
    parameters: Parameters.optional(),
    /** Working dtype in mergekit; aya-fw always computes in f32, and uses this as the default output dtype. */
    dtype: z.enum(DTYPE_NAMES).optional(),
    out_dtype: z.enum(DTYPE_NAMES).optional(),
    /** `base`, `union` or a model folder; given, embeddings are permuted to the output vocabulary (default: copy the base's tokenizer). */
    tokenizer_source: z.string().optional(),
    /** mergekit's `tokenizer:` section: `source` (union, base or a model), `tokens` (embedding sources of named tokens), `pad_to_multiple_of`. */
    tokenizer: TokenizerSectionSchema.optional(),
    /** `auto` (the template most input models share), `chatml`, `llama3`, or a Jinja template itself. */
    chat_template: z.string().optional(),
    /** Seed of the random methods (DARE, DELLA, Arcee Fusion's sample); written to the output's metadata. */
    random_seed: z.number().int().nonnegative().optional(),
  })
  .strict();
export type MergeConfig = z.infer<typeof MergeConfigSchema>;
export type OutputSlice = z.infer<typeof OutputSliceSchema>;
