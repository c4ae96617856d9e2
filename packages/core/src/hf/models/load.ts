import { requireModelFolder } from '../model-folder';
import * as tf from '@tensorflow/tfjs';
import { AyaError } from '../../errors';
import { Checkpoint } from '../safetensors/checkpoint';
import { ARCHITECTURES, parameterShapes, taskOf } from './architectures';
import { readModelConfig, type ModelConfig } from './config';
import { PretrainedModel, type ModelTask } from './model';
import { gaussian } from './init';
import { Rng } from '../../random/rng';

/** Options of {@link loadPretrained}. */
export interface LoadOptions {
  /** Override the head the checkpoint's `architectures` implies. */
  readonly task?: ModelTask;
  /** Whether the parameters are trainable variables (default true; false for a frozen reference). */
  readonly trainable?: boolean;
  /**
   * For `sequence-classification` on a causal-LM checkpoint: a new `score` head of `numLabels`
   * rows, initialised normal(0, initializer_range) with `seed`, instead of the LM head.
   */
  readonly newHead?: { readonly numLabels: number; readonly seed?: number };
}

/**
 * Loads a Hugging Face folder (config.json + safetensors, sharded or not). Tensors are read
 * one at a time, widened to f32 and checked against the shapes the config implies; a missing,
 * misshapen or unexpected tensor is an error naming it and its file.
 */
export function loadPretrained(dir: string, options: LoadOptions = {}): PretrainedModel {
  requireModelFolder(dir);
  const read = readModelConfig(dir);
  const task = options.task ?? (options.newHead ? 'sequence-classification' : taskOf(read));
  const config = options.newHead ? withLabels(read, options.newHead.numLabels) : read;
  const checkpoint = Checkpoint.open(dir);
  try {
    const values = readParameters(config, task, checkpoint, options.newHead ? (options.newHead.seed ?? 0) : undefined);
    try {
      return new PretrainedModel(config, task, ARCHITECTURES[config.modelType], values, { trainable: options.trainable, source: dir });
    } finally {
      for (const t of values.values()) t.dispose();
    }
  } finally {
    checkpoint.close();
  }
}

/** The config with a classification head of `numLabels` (written back as num_labels/id2label). */
function withLabels(config: ModelConfig, numLabels: number): ModelConfig {
  const id2label = Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  const label2id = Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)]));
  return { ...config, numLabels, raw: { ...config.raw, num_labels: numLabels, id2label, label2id } };
}

function readParameters(config: ModelConfig, task: ModelTask, checkpoint: Checkpoint, newHeadSeed?: number): Map<string, tf.Tensor> {
  const arch = ARCHITECTURES[config.modelType];
  const shapes = parameterShapes(config, task);
  const used = new Set<string>();
  const values = new Map<string, tf.Tensor>();
  try {
    for (const [name, shape] of shapes) {
      if (newHeadSeed !== undefined && name === 'score.weight' && !checkpoint.has(name)) {
        const std = typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02;
        const rng = new Rng(newHeadSeed);
        values.set(name, tf.tensor(Float32Array.from({ length: shape[0] * shape[1] }, () => std * gaussian(rng)), shape));
        continue;
      }
      const stored = [name, ...(arch.aliases?.(name) ?? [])].find((n) => checkpoint.has(n));
      if (!stored) throw new AyaError(`${checkpoint.dir}: missing tensor '${name}' (shape [${shape.join(', ')}]) for ${config.modelType}`);
      const info = checkpoint.info(stored);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new AyaError(`${info.file}: tensor '${stored}' has shape [${info.shape.join(', ')}], but config.json implies [${shape.join(', ')}]`);
      }
      used.add(stored);
      values.set(name, tf.tensor(checkpoint.readFloat32(stored), shape, 'float32'));
    }
    const ignorable = (n: string) =>
      arch.isBuffer?.(n) || (n === 'lm_head.weight' && (config.tieWordEmbeddings || (newHeadSeed !== undefined && task === 'sequence-classification')));
    const unexpected = checkpoint.names().filter((n) => !used.has(n) && !ignorable(n));
    if (unexpected.length) {
      const more = unexpected.length > 3 ? ` and ${unexpected.length - 3} more` : '';
      throw new AyaError(
        `${checkpoint.dir}: unexpected tensor${unexpected.length > 1 ? 's' : ''} ${unexpected.slice(0, 3).map((n) => `'${n}'`).join(', ')}${more} for a ${config.modelType} ${task} model`,
      );
    }
    return values;
  } catch (err) {
    for (const t of values.values()) t.dispose();
    throw err;
  }
}
