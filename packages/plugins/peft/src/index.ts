import { definePlugin } from '@aya-fw/core';
import { ia3 } from './ia3';
import { lora } from './lora';
import { molora, mov } from './moe';
import { moeToy } from './repro/repro';

export { Ia3Adapter, ia3, Ia3ConfigSchema, ia3ConfigFromPeft, type Ia3Config } from './ia3';
export { LoraAdapter, lora, LoraConfigSchema, loraConfigFromPeft, type LoraConfig } from './lora';
export { molora, MoloraAdapter, MoloraConfigSchema, mov, MovAdapter, MovConfigSchema, routerProbabilities, type MoloraConfig, type MovConfig } from './moe';
export { moeToy, runMoeToy, TOY_METHODS, TOY_REPRO_DEFAULTS, type MoeToyResult, type ToyMethod, type ToyMethodResult, type ToyReproOptions } from './repro/repro';
export { exactMatch, toyModel, trainToy, TOY_MODEL_CONFIG } from './repro/experiment';
export { applyTask, randomInput, toyExample, toyExamples, TOY_TASKS, type ToyExample, type ToyTask } from './repro/tasks';

/**
 * LoRA and IA3 adapters in PEFT's format, the MoV and MoLoRA mixtures of experts, and the MoV
 * paper's comparison at toy scale (`aya-fw repro moe-toy`, which trains with the `adamw`
 * optimizer of `@aya-fw/plugin-optimizers`).
 */
export default definePlugin({ name: '@aya-fw/plugin-peft', contributes: { adapters: [lora, ia3, mov, molora], reproductions: [moeToy] } });
