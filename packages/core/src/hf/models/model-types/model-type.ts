import type { Fields, TypeSpecificConfig } from '../config-fields';
import type { Architecture } from '../model';

/**
 * One Hugging Face `model_type`: how its `config.json` reads, the architecture that runs it, and
 * its transformers class names. Adding an architecture is one module here and one line in
 * `index.ts`.
 */
export interface ModelTypeDefinition {
  /** transformers' class prefix (`Llama` → `LlamaForCausalLM`, `LlamaForSequenceClassification`). */
  readonly className: string;
  /** The causal-LM class when it is not `<className>ForCausalLM` (GPT-2's `GPT2LMHeadModel`). */
  readonly causalLmClass?: string;
  parse(fields: Fields): TypeSpecificConfig;
  readonly architecture: Architecture;
}
