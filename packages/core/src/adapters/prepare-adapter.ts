import { z } from 'zod';
import type { Engine } from '../engine/engine';
import type { PretrainedModel } from '../hf/models/model';

/** The adapter a trainer wraps its model with: `{ type: lora | ia3 | …, …that adapter's options }`. */
export const AdapterSpecSchema = z.object({ type: z.string() }).passthrough();
export type AdapterSpec = z.infer<typeof AdapterSpecSchema>;

/**
 * Wraps the model with the adapter (through the engine's `adapt` hook), freezes the base (all but
 * `keepTrainable`, e.g. a new reward head) and reports the trainable share of parameters.
 */
export function prepareAdapter(engine: Engine, model: PretrainedModel, spec: AdapterSpec | undefined, stage: string, keepTrainable: readonly string[] = []): void {
  if (!spec) return;
  const { type, ...config } = spec;
  engine.adapt(model, { adapter: type, config, where: `${stage}: adapter` });
  for (const [name, v] of model.namedParameters()) v.trainable = keepTrainable.includes(name);
  for (const m of model.attached.values()) if ('training' in m) (m as { training: boolean }).training = true;
  const total = [...model.namedParameters().values()].reduce((n, v) => n + v.size, 0);
  const trainable = model.trainableVariables().reduce((n, v) => n + v.size, 0);
  engine.reporter.info(`${stage}: adapter ${type}: ${trainable.toLocaleString('en-US')} trainable parameters of ${total.toLocaleString('en-US')} (${((100 * trainable) / total).toFixed(2)}%)`);
  engine.reporter.result(`${stage}/trainableShare`, trainable / total);
}
