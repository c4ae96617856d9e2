import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { Engine } from '../engine/engine';
import { AyaError, InterruptedError, UsageError } from '../errors';
import type { PretrainedModel } from '../hf/models/model';
import { savePretrained } from '../hf/models/save';
import { Rng } from '../random/rng';
import type { LossOutput } from '../registry/contributions';
import { latestCheckpoint, resumeLatest, saveCheckpoint } from './checkpoint';
import type { TrainingConfig } from './config';
import { MetricsLog } from './metrics';
import { AyaOptimizer } from './optimizer';
import { learningRateAt } from './schedule';

/** What {@link runTrainingLoop} needs. */
export interface TrainingLoopSpec<T> {
  readonly engine: Engine;
  readonly stage: string;
  readonly outDir: string;
  readonly seed: number;
  readonly model: PretrainedModel;
  readonly config: TrainingConfig;
  /** Training items; micro-batches are drawn from a seeded permutation per epoch. */
  readonly items: readonly T[];
  /** Loss of a micro-batch; synchronous (it runs inside `tf.tidy`). */
  loss(batch: readonly T[]): LossOutput;
  /** Tokens in a micro-batch, for tokens/s. */
  tokens?(batch: readonly T[]): number;
  /** Held-out metrics (`loss`, `loss/<language>`…), reported with an `eval_` prefix. */
  evaluate?(): Record<string, number>;
  /** Continue from the newest complete checkpoint under `outDir`. */
  readonly resume?: boolean;
  /** Variables to train (default: the model's trainable parameters). */
  readonly variables?: readonly tf.Variable[];
}

/** What a training loop did. */
export interface TrainingLoopResult {
  readonly steps: number;
  readonly loss: number;
  readonly evalMetrics: Record<string, number>;
  /** The trained model, saved as an HF folder (with adapters attached: the frozen base). */
  readonly modelDir: string;
  /** Adapter folders by adapter name, when adapters were trained. */
  readonly adapterDirs?: Readonly<Record<string, string>>;
  /** The step the run resumed after, if it resumed. */
  readonly resumedFrom?: number;
}

/**
 * The training loop every trainer shares: seeded epoch permutations, gradient accumulation and
 * clipping, a learning-rate schedule, metrics to JSONL and TensorBoard, evaluation, crash-safe
 * checkpoints and deterministic resumption (weights, optimizer state and data position are all
 * restored, so a resumed run reproduces the uninterrupted run's losses on the same backend).
 */
export async function runTrainingLoop<T>(spec: TrainingLoopSpec<T>): Promise<TrainingLoopResult> {
  const { engine, config, model, stage } = spec;
  const optimizer = engine.createOptimizer({ optimizer: config.optimizer, config: config.optimizerConfig, where: `${stage}: optimizerConfig` });
  if (!(optimizer instanceof AyaOptimizer)) throw new UsageError(`optimizer '${config.optimizer}' must extend AyaOptimizer to be checkpointed`);
  const baseLr = optimizer.learningRate;
  const variables = spec.variables ?? model.trainableVariables();
  if (variables.length === 0) throw new UsageError(`${stage}: no trainable parameters`);

  const microPerEpoch = Math.ceil(spec.items.length / config.batchSize);
  const stepsPerEpoch = Math.max(1, Math.ceil(microPerEpoch / config.gradientAccumulation));
  const totalSteps = config.maxSteps ?? config.epochs * stepsPerEpoch;
  let permutation: { epoch: number; order: number[] } | undefined;
  const microBatch = (position: number): T[] => {
    const epoch = Math.floor(position / microPerEpoch);
    if (permutation?.epoch !== epoch) permutation = { epoch, order: new Rng(spec.seed * 7919 + epoch).permutation(spec.items.length) };
    const start = (position % microPerEpoch) * config.batchSize;
    return permutation.order.slice(start, start + config.batchSize).map((i) => spec.items[i]);
  };

  const resumed = resumeLatest(engine, spec.outDir, stage, model, optimizer, spec.resume);
  const resumedFrom = resumed?.step;
  const first = (resumedFrom ?? 0) + 1;
  const log = new MetricsLog(spec.outDir, { resumeFromStep: resumedFrom });
  // A resumed run that has no step left reports the checkpoint's loss, not one it never computed.
  let loss = resumed?.loss ?? NaN;
  const checkpoint = (step: number) => saveCheckpoint(engine, spec.outDir, model, optimizer, { step, totalSteps, seed: spec.seed, loss, stage }, { keep: config.saveTotalLimit });
  let done = first - 1;
  let evalMetrics: Record<string, number> = {};
  const evaluate = async (step: number) => {
    if (!spec.evaluate) return;
    evalMetrics = spec.evaluate();
    await engine.hooks.evaluate.promise({ stage, step, metrics: evalMetrics });
    log.write(step, Object.fromEntries(Object.entries(evalMetrics).map(([k, v]) => [`eval_${k}`, v])));
    engine.reporter.info(`${stage}: step ${step} eval ${Object.entries(evalMetrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
  };
  try {
    if (resumedFrom === undefined) await evaluate(0);
    for (let step = first; step <= totalSteps; step++) {
      const started = performance.now();
      let tokens = 0;
      const info = engine.trainStep({
        stage,
        step,
        totalSteps,
        optimizer,
        variables,
        accumulate: config.gradientAccumulation,
        clipGradNorm: config.maxGradNorm > 0 ? config.maxGradNorm : undefined,
        learningRate: learningRateAt(baseLr, config.schedule, step - 1, totalSteps),
        loss: (micro) => {
          const batch = microBatch((step - 1) * config.gradientAccumulation + micro);
          tokens += spec.tokens?.(batch) ?? 0;
          return spec.loss(batch);
        },
      });
      loss = info.loss;
      const seconds = (performance.now() - started) / 1000;
      if (step % config.logEvery === 0 || step === totalSteps) {
        log.write(step, {
          epoch: ((step - 1) * config.gradientAccumulation) / microPerEpoch,
          loss: info.loss,
          learning_rate: info.learningRate ?? baseLr,
          grad_norm: info.gradNorm ?? NaN,
          tokens_per_second: tokens / seconds,
          ...info.metrics,
        });
      }
      if (config.evalEvery > 0 && step % config.evalEvery === 0 && step !== totalSteps) await evaluate(step);
      done = step;
      await engine.stopIfInterrupted(`${stage} stopped after step ${step} of ${totalSteps}`, () => checkpoint(step));
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && step !== totalSteps) await checkpoint(step);
      if (engine.shouldStop(info)) break;
    }
    await evaluate(done);
    if (done >= first) await checkpoint(done);
    const modelDir = join(spec.outDir, 'model');
    savePretrained(model, modelDir, { dtype: config.saveDtype, overwrite: true });
    const adapterDirs: Record<string, string> = {};
    for (const m of model.attached.values()) {
      if (!m.save) continue;
      m.save((adapterDirs[m.name] = join(spec.outDir, 'adapters', m.name)));
    }
    return { steps: done, loss, evalMetrics, modelDir, resumedFrom, ...(Object.keys(adapterDirs).length ? { adapterDirs } : {}) };
  } catch (err) {
    if (err instanceof AyaError && !(err instanceof InterruptedError)) {
      const kept = latestCheckpoint(spec.outDir);
      const Same = err instanceof UsageError ? UsageError : AyaError;
      throw new Same(`${err.message}${kept ? `; the last good checkpoint is ${kept}` : ''}`, { cause: err });
    }
    throw err;
  } finally {
    log.close();
    optimizer.dispose();
  }
}
