import * as tf from '@tensorflow/tfjs';
import { padBatch, sequenceLogprobs } from '../data/batch';
import type { TokenizedSequence } from '../data/tokenize';
import type { Engine } from '../engine/engine';
import type { PretrainedModel } from '../hf/models/model';
import { Rng } from '../random/rng';

/** Options of {@link fitSequences}. */
export interface FitSequencesOptions {
  readonly stage: string;
  readonly steps: number;
  /** Peak learning rate, decayed linearly to 0 over the steps. */
  readonly learningRate: number;
  /** Seed of the stream `batch` draws from. */
  readonly seed: number;
  /** The batch of step `step`, drawn from `rng` (the same seed gives the same batches). */
  batch(rng: Rng, step: number): readonly TokenizedSequence[];
  readonly padId?: number;
  /** Optimizer id (default `adamw`, weight decay 0). */
  readonly optimizer?: string;
}

/**
 * The small training loop of the toy reproductions: fresh batches of token sequences, the mean
 * cross-entropy of their loss-masked tokens, AdamW with a linear decay and gradient clipping at 1,
 * through `engine.trainStep` (so every hook fires). Returns the last step's loss.
 */
export function fitSequences(engine: Engine, model: PretrainedModel, options: FitSequencesOptions): number {
  const rng = new Rng(options.seed);
  const optimizer = engine.createOptimizer({ optimizer: options.optimizer ?? 'adamw', config: { learningRate: options.learningRate, weightDecay: 0 } });
  const variables = model.trainableVariables();
  let last = NaN;
  try {
    for (let step = 1; step <= options.steps; step++) {
      const batch = options.batch(rng, step);
      last = engine.trainStep({
        stage: options.stage,
        step,
        totalSteps: options.steps,
        optimizer,
        variables,
        loss: () => {
          const { sums, lengths } = sequenceLogprobs(model, padBatch(batch, options.padId ?? 0));
          return { loss: tf.div(tf.neg(tf.sum(sums)), tf.sum(lengths)) as tf.Scalar };
        },
        clipGradNorm: 1,
        learningRate: options.learningRate * (1 - (step - 1) / options.steps),
      }).loss;
    }
  } finally {
    optimizer.dispose();
  }
  return last;
}
