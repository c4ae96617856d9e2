import { UsageError, type PretrainedModel } from '@aya-fw/core';
import { loadAdapterWeights, readAdapterConfig } from './format';
import { Ia3Adapter, ia3ConfigFromPeft } from './ia3';
import { LoraAdapter, loraConfigFromPeft } from './lora';

/**
 * Loads a PEFT adapter folder (`adapter_config.json` + `adapter_model.safetensors`) onto a
 * model under `name`: LORA and IA3 as PEFT saves them.
 */
export function loadAdapter(model: PretrainedModel, dir: string, name = 'default'): LoraAdapter | Ia3Adapter {
  const peft = readAdapterConfig(dir);
  let adapter: LoraAdapter | Ia3Adapter;
  switch (peft.peft_type) {
    case 'LORA':
      if (peft.use_dora) throw new UsageError(`${dir}: DoRA adapters are not supported`);
      if (peft.fan_in_fan_out) throw new UsageError(`${dir}: fan_in_fan_out (GPT-2 Conv1D) LoRA is not supported`);
      adapter = new LoraAdapter(model, loraConfigFromPeft(peft, name));
      break;
    case 'IA3':
      adapter = new Ia3Adapter(model, ia3ConfigFromPeft(peft, name));
      break;
    default:
      throw new UsageError(`${dir}: peft_type '${String(peft.peft_type)}' is not supported; supported: LORA, IA3`);
  }
  try {
    loadAdapterWeights(dir, adapter);
  } catch (err) {
    adapter.detach();
    throw err;
  }
  return adapter;
}
