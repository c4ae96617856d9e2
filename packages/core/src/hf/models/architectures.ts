import type { ModelConfig, ModelType } from './config';
import type { Architecture, ModelTask } from './model';
import { MODEL_TYPES } from './model-types';

/** The architecture of each supported `model_type`. */
export const ARCHITECTURES: Readonly<Record<ModelType, Architecture>> = Object.freeze(
  Object.fromEntries(Object.entries(MODEL_TYPES).map(([type, def]) => [type, def.architecture])) as Record<ModelType, Architecture>,
);

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
  const type = MODEL_TYPES[config.modelType];
  if (task === 'sequence-classification') return `${type.className}ForSequenceClassification`;
  return type.causalLmClass ?? `${type.className}ForCausalLM`;
}
