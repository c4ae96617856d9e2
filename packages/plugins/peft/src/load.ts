import { UsageError, type PretrainedModel } from '@aya-fw/core';
import { loadAdapterWeights, readAdapterConfig } from './format';
import { Ia3Adapter, ia3ConfigFromPeft } from './ia3';
import { LoraAdapter, loraConfigFromPeft } from './lora';
import { MoloraAdapter, MoloraConfigSchema, MovAdapter, MovConfigSchema } from './moe';

/**
 * Loads a PEFT adapter folder (`adapter_config.json` + `adapter_model.safetensors`) onto a
 * model under `name`: LORA and IA3 as PEFT saves them, and aya-fw's MOV and MOLORA.
 */
export function loadAdapter(model: PretrainedModel, dir: string, name = 'default'): LoraAdapter | Ia3Adapter | MovAdapter | MoloraAdapter {
  const peft = readAdapterConfig(dir);
  let adapter: LoraAdapter | Ia3Adapter | MovAdapter | MoloraAdapter;
  switch (peft.peft_type) {
    case 'LORA':
      if (peft.use_dora) throw new UsageError(`${dir}: DoRA adapters are not supported`);
      adapter = new LoraAdapter(model, loraConfigFromPeft(peft, name));
      break;
    case 'IA3':
      adapter = new Ia3Adapter(model, ia3ConfigFromPeft(peft, name));
      break;
    case 'MOV':
      adapter = new MovAdapter(model, MovConfigSchema.parse({ name, numExperts: peft.num_experts, topK: peft.top_k ?? undefined, targetModules: peft.target_modules, feedforwardModules: peft.feedforward_modules ?? [] }));
      break;
    case 'MOLORA':
      adapter = new MoloraAdapter(model, MoloraConfigSchema.parse({ name, numExperts: peft.num_experts, topK: peft.top_k ?? undefined, r: peft.r, loraAlpha: peft.lora_alpha, targetModules: peft.target_modules }));
      break;
    default:
      throw new UsageError(`${dir}: peft_type '${String(peft.peft_type)}' is not supported; supported: LORA, IA3, MOV, MOLORA`);
  }
  try {
    loadAdapterWeights(dir, adapter);
  } catch (err) {
    adapter.detach();
    throw err;
  }
  return adapter;
}
