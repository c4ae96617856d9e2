import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../random/rng';
import { ARCHITECTURES, parameterShapes, taskOf } from './architectures';
import type { ModelConfig } from './config';
import { PretrainedModel, type ModelTask } from './model';

/** Options of {@link initModel}. */
export interface InitOptions {
  readonly task?: ModelTask;
  readonly seed?: number;
  /** Standard deviation of weights (default: the config's initializer_range, else 0.02). */
  readonly std?: number;
  readonly trainable?: boolean;
}

/**
 * A randomly initialised model for a config, as transformers initialises one: normal
 * weights, zero biases, norm weights 1 (0 for Gemma's ·(1 + w) norms). Deterministic per seed
 * on every backend.
 */
export function initModel(config: ModelConfig, options: InitOptions = {}): PretrainedModel {
  const task = options.task ?? taskOf(config);
  const std = options.std ?? (typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02);
  const rng = new Rng(options.seed ?? 0);
  const normOne = config.modelType === 'gemma2' ? 0 : 1;
  const values = new Map<string, tf.Tensor>();
  for (const [name, shape] of parameterShapes(config, task)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isNorm = /(norm|ln_\d|ln_f)\.weight$/.test(name);
    if (isNorm) data.fill(normOne);
    else if (!name.endsWith('.bias')) for (let i = 0; i < n; i++) data[i] = std * gaussian(rng);
    values.set(name, tf.tensor(data, shape));
  }
  try {
    return new PretrainedModel(config, task, ARCHITECTURES[config.modelType], values, { trainable: options.trainable });
  } finally {
    for (const t of values.values()) t.dispose();
  }
}

/** A standard normal draw (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
