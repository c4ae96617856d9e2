import { cohere } from './cohere';
import { gemma2 } from './gemma2';
import { gpt2 } from './gpt2';
import { llama } from './llama';
import { mistral } from './mistral';
import type { ModelTypeDefinition } from './model-type';
import { qwen2 } from './qwen2';

/** Every supported `model_type`, one module each. */
export const MODEL_TYPES = Object.freeze({ llama, mistral, qwen2, gemma2, cohere, gpt2 } satisfies Record<string, ModelTypeDefinition>);

export type { ModelTypeDefinition } from './model-type';
