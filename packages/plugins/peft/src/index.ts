import { definePlugin } from '@aya-fw/core';
import { ia3 } from './ia3';
import { lora } from './lora';
import { molora, mov } from './moe';

export { Ia3Adapter, ia3, Ia3ConfigSchema, ia3ConfigFromPeft, type Ia3Config } from './ia3';
export { LoraAdapter, lora, LoraConfigSchema, loraConfigFromPeft, type LoraConfig } from './lora';
export { loadAdapter } from './load';
export { molora, MoloraAdapter, MoloraConfigSchema, mov, MovAdapter, MovConfigSchema, routerProbabilities, type MoloraConfig, type MovConfig } from './moe';
export { isTarget, patternValue } from './targets';
export { PEFT_PREFIX, readAdapterConfig, writeAdapter } from './format';

/** LoRA and IA3 adapters in PEFT's format, and the MoV and MoLoRA mixtures of experts. */
export default definePlugin({ name: '@aya-fw/plugin-peft', contributes: { adapters: [lora, ia3, mov, molora] } });
