import * as tf from '@tensorflow/tfjs';
import type { ZodType } from 'zod';
import type { PreparedLoss } from '../engine/engine';
import type { PretrainedModel } from '../hf/models/model';
import type { ContributionUse, LossOutput, TrainerContext, TrainerDefinition } from '../registry/contributions';
import { lossContribution, trainingContributions, type TrainingConfig } from './config';
import { loopContext, loopTrainerResult } from './inputs';
import { runTrainingLoop } from './loop';

/** Options every loop trainer has: the training loop's and a loss with its options. */
export type LoopTrainerConfig = TrainingConfig & { readonly loss: string; readonly lossConfig: Record<string, unknown> };

/** What a loop trainer's `setup` hands the shared loop: the model, the items and how to score them. */
export interface LoopSetup<T> {
  /** The model to train (disposed when the stage ends). */
  readonly model: PretrainedModel;
  readonly train: readonly T[];
  readonly held: readonly T[];
  /** Loss of a micro-batch, inside `tf.tidy` (typically `loss.compute(inputs)`). */
  loss(batch: readonly T[]): LossOutput;
  /** Tokens in a micro-batch, for tokens/s. */
  tokens?(batch: readonly T[]): number;
  /** One value per held-out item of a batch ([b]), inside `tf.tidy`. */
  evalValues?(batch: readonly T[]): tf.Tensor1D;
  /** Held-out metrics from the held-out items and their values (`loss`, `accuracy/<language>`…). */
  evalMetrics?(held: readonly T[], values: readonly number[]): Record<string, number>;
}

/** A trainer built on the shared training loop. */
export interface LoopTrainerSpec<C extends LoopTrainerConfig, T> {
  readonly id: string;
  readonly description: string;
  readonly configSchema: ZodType<C>;
  /** The input kind this trainer feeds its loss (`pairwise`, `token-logps`…). */
  readonly inputKind: string;
  /** Contributions its options name besides the optimizer, adapter and loss. */
  contributions?(config: C): readonly ContributionUse[];
  /** Reads the data and loads the model; `loss` is prepared once for the stage. */
  setup(ctx: TrainerContext<C>, loss: PreparedLoss): Promise<LoopSetup<T>>;
}

/**
 * Defines a trainer on the shared loop: its contributions (optimizer, adapter, `loss` of its input
 * kind) validated before a recipe runs, the loss prepared once and computed through the hooks,
 * held-out evaluation in batches, the loop's checkpoints and resume, the model disposed at the end.
 */
export function defineLoopTrainer<C extends LoopTrainerConfig, T>(spec: LoopTrainerSpec<C, T>): TrainerDefinition<C> {
  return {
    id: spec.id,
    description: spec.description,
    configSchema: spec.configSchema,
    contributions: (c) => [...trainingContributions(c), lossContribution(c, spec.inputKind), ...(spec.contributions?.(c) ?? [])],
    async run(ctx) {
      const c = ctx.config;
      const loss = ctx.engine.prepareLoss(c.loss, c.lossConfig, `${ctx.stage}: lossConfig`, { inputKind: spec.inputKind, stage: ctx.stage });
      const setup = await spec.setup(ctx, loss);
      const { evalValues, evalMetrics } = setup;
      try {
        const result = await runTrainingLoop<T>({
          ...loopContext(ctx),
          model: setup.model,
          config: c,
          items: setup.train,
          loss: (batch) => setup.loss(batch),
          tokens: setup.tokens && ((batch) => setup.tokens!(batch)),
          evaluate:
            setup.held.length && evalValues && evalMetrics
              ? () => evalMetrics(setup.held, heldOutValues(setup.held, c.batchSize, evalValues))
              : undefined,
        });
        return loopTrainerResult(result, ctx.outDir);
      } finally {
        setup.model.dispose();
      }
    },
  };
}

/** `values` of every held-out item, batch by batch, read back and freed. */
function heldOutValues<T>(held: readonly T[], batchSize: number, values: (batch: readonly T[]) => tf.Tensor1D): number[] {
  const out: number[] = [];
  for (let i = 0; i < held.length; i += batchSize) {
    const v = tf.tidy(() => values(held.slice(i, i + batchSize)));
    out.push(...(v.dataSync() as Float32Array));
    v.dispose();
  }
  return out;
}
