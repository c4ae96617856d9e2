import type { ModelConfig, ModelType } from './config';
import { COHERE_TRAITS, GEMMA2_TRAITS, LLAMA_TRAITS, ropeDecoder } from './decoder';
import { gpt2 } from './gpt2';
import type { Architecture, ModelTask } from './model';

const llamaLike = ropeDecoder(LLAMA_TRAITS);

/** The architecture of each supported `model_type`. */
export const ARCHITECTURES: Readonly<Record<ModelType, Architecture>> = Object.freeze({
  llama: llamaLike,
  mistral: llamaLike,
  qwen2: llamaLike,
  gemma2: ropeDecoder(GEMMA2_TRAITS),
  cohere: ropeDecoder(COHERE_TRAITS),
  gpt2,
});

/** `*ForSequenceClassification` checkpoints carry a reward/classification head; everything else is a causal LM. */
export function taskOf(config: ModelConfig): ModelTask {
  return config.architectures.some((a) => a.endsWith('ForSequenceClassification')) ? 'sequence-classification' : 'causal-lm';
}

/** Every parameter of a model, head included, with its shape, in state-dict order. */
export function parameterShapes(config: ModelConfig, task: ModelTask): Map<string, number[]> {
  const shapes = ARCHITECTURES[config.modelType].bodyShapes(config);
  if (task === 'sequence-classification') shapes.set('score.weight', [config.numLabels, config.hiddenSize]);
  else if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [config.vocabSize, config.hiddenSize]);
  return shapes;
}

/** The `architectures` entry transformers expects for a model type and task. */
export function architectureName(config: ModelConfig, task: ModelTask): string {
  const base = { llama: 'Llama', mistral: 'Mistral', qwen2: 'Qwen2', gemma2: 'Gemma2', cohere: 'Cohere', gpt2: 'GPT2' }[config.modelType];
  if (task === 'sequence-classification') return `${base}ForSequenceClassification`;
  return config.modelType === 'gpt2' ? 'GPT2LMHeadModel' : `${base}ForCausalLM`;
}
