import type { Engine } from '../engine/engine';
import { UsageError } from '../errors';
import type { AttachedModule } from '../hf/models/model';
import type { AdaptableModel } from '../registry/contributions';
import { loadAdapterWeights, readAdapterConfig } from './peft-format';

/**
 * Loads an adapter folder onto a model under `name`: the adapter type is the registered adapter
 * whose `peftType` is the folder's `peft_type` (LoRA and IA3 as PEFT saves them, MoV, MoLoRA, or
 * a plugin's own type); its weights are checked against the shapes its config implies.
 */
export function loadAdapter(engine: Engine, model: AdaptableModel, dir: string, name = 'default'): AttachedModule {
  const peft = readAdapterConfig(dir);
  const adapters = engine.registries.adapters.list();
  const definition = adapters.find((a) => a.peftType === peft.peft_type);
  if (!definition) {
    const known = adapters.map((a) => a.peftType).join(', ') || 'none (load a plugin that provides adapters)';
    throw new UsageError(`${dir}: peft_type ${JSON.stringify(peft.peft_type)} is not provided by any loaded adapter; known: ${known}`);
  }
  const where = `${dir}/adapter_config.json`;
  engine.adapt(model, { adapter: definition.id, config: definition.fromPeftConfig(peft, name), where });
  const module = model.attached.get(name);
  if (!module) throw new UsageError(`${where}: adapter '${definition.id}' attached nothing named '${name}'`);
  try {
    loadAdapterWeights(dir, module);
  } catch (err) {
    (module as { detach?: () => void }).detach?.();
    throw err;
  }
  return module;
}
