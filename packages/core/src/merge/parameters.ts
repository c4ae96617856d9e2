import { z } from 'zod';

/** A scalar or a gradient list interpolated across layer depth (mergekit's `ScalarOrGradient`). */
export const ScalarOrGradientSchema = z.union([z.number(), z.boolean(), z.array(z.number()).min(1)]);

/** `{ filter, value }`: applies to tensors whose name contains `filter` (mergekit's `ConditionalParameter`). */
export const ConditionalParameterSchema = z.object({ filter: z.string().optional(), value: ScalarOrGradientSchema }).strict();

/** A parameter value in a merge config: scalar, gradient, one conditional or a list of them. */
export const ParameterSettingSchema = z.union([ScalarOrGradientSchema, ConditionalParameterSchema, z.array(ConditionalParameterSchema).min(1)]);
export type ParameterSetting = z.infer<typeof ParameterSettingSchema>;

/**
 * The value of a setting for a tensor at depth `t` ∈ [0, 1], as mergekit's `evaluate_setting`:
 * gradients interpolate linearly between evenly spaced points; conditionals apply the first
 * whose `filter` is absent, `*`, or a substring of the tensor name. Undefined when none applies.
 */
export function evaluateSetting(setting: ParameterSetting, tensorName: string, t: number): number | boolean | undefined {
  if (typeof setting === 'number' || typeof setting === 'boolean') return setting;
  if (Array.isArray(setting) && setting.every((e) => typeof e === 'number')) {
    const list = setting as number[];
    const scaled = t * (list.length - 1);
    const i0 = Math.trunc(scaled);
    const i1 = Math.min(list.length - 1, i0 + 1);
    const frac = scaled - i0;
    return (1 - frac) * list[i0] + frac * list[i1];
  }
  const conditions = Array.isArray(setting) ? setting : [setting];
  for (const c of conditions as { filter?: string; value: ParameterSetting }[]) {
    if (c.filter === undefined || c.filter === '*' || tensorName.includes(c.filter)) return evaluateSetting(c.value, tensorName, t);
  }
  return undefined;
}

/** `model.layers.12.mlp.up_proj.weight` → prefix `model.layers.`, layer 12, suffix `mlp.up_proj.weight` (Llama, Qwen, Gemma, Cohere `layers`; GPT-2 `h`). */
export function splitLayerName(name: string): { prefix: string; layer: number; suffix: string } | undefined {
  const m = /^((?:.*\.)?(?:layers|h|blocks)\.)(\d+)\.(.+)$/.exec(name);
  return m ? { prefix: m[1], layer: Number(m[2]), suffix: m[3] } : undefined;
}

/**
 * Depth of a tensor for gradient parameters, as mergekit's planner gives it: layer i of a slice
 * of L layers has t = i/(L−1) (t = 1 when L = 1); every tensor outside the layer stack
 * (embeddings, final norm, LM head) has t = 0.
 */
export function tensorDepth(name: string, numLayers: number): { t: number; layer?: number } {
  const parts = splitLayerName(name);
  if (!parts) return { t: 0 };
  return { t: numLayers > 1 ? parts.layer / (numLayers - 1) : 1, layer: parts.layer };
}
