import * as tf from '@tensorflow/tfjs';
import { AyaError } from '../../errors';
import { Checkpoint } from '../safetensors/checkpoint';
import { ARCHITECTURES, parameterShapes, taskOf } from './architectures';
import { readModelConfig, type ModelConfig } from './config';
import { PretrainedModel, type ModelTask } from './model';

/** Options of {@link loadPretrained}. */
export interface LoadOptions {
  /** Override the head the checkpoint's `architectures` implies. */
  readonly task?: ModelTask;
  /** Whether the parameters are trainable variables (default true; false for a frozen reference). */
  readonly trainable?: boolean;
}

/**
 * Loads a Hugging Face folder (config.json + safetensors, sharded or not). Tensors are read
 * one at a time, widened to f32 and checked against the shapes the config implies; a missing,
 * misshapen or unexpected tensor is an error naming it and its file.
 */
export function loadPretrained(dir: string, options: LoadOptions = {}): PretrainedModel {
  const config = readModelConfig(dir);
  const task = options.task ?? taskOf(config);
  const checkpoint = Checkpoint.open(dir);
  try {
    const values = readParameters(config, task, checkpoint);
    try {
      return new PretrainedModel(config, task, ARCHITECTURES[config.modelType], values, { trainable: options.trainable, source: dir });
    } finally {
      for (const t of values.values()) t.dispose();
    }
  } finally {
    checkpoint.close();
  }
}

function readParameters(config: ModelConfig, task: ModelTask, checkpoint: Checkpoint): Map<string, tf.Tensor> {
  const arch = ARCHITECTURES[config.modelType];
  const shapes = parameterShapes(config, task);
  const used = new Set<string>();
  const values = new Map<string, tf.Tensor>();
  try {
    for (const [name, shape] of shapes) {
      const stored = [name, ...(arch.aliases?.(name) ?? [])].find((n) => checkpoint.has(n));
      if (!stored) throw new AyaError(`${checkpoint.dir}: missing tensor '${name}' (shape [${shape.join(', ')}]) for ${config.modelType}`);
      const info = checkpoint.info(stored);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new AyaError(`${info.file}: tensor '${stored}' has shape [${info.shape.join(', ')}], but config.json implies [${shape.join(', ')}]`);
      }
      used.add(stored);
      values.set(name, tf.tensor(checkpoint.readFloat32(stored), shape, 'float32'));
    }
    const ignorable = (n: string) => arch.isBuffer?.(n) || (n === 'lm_head.weight' && config.tieWordEmbeddings);
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
