import * as tf from '@tensorflow/tfjs';
import type { Container } from 'inversify';
import { parseWithSchema, type ParseOptions } from '../config/validate';
import { AyaError, UsageError } from '../errors';
import type { AyaPlugin } from '../plugin/plugin';
import type { AdaptableModel, Configurable, DataRecord, LossOutput, TensorMergeRequest } from '../registry/contributions';
import { collectRegistries, type Registries } from '../registry/registries';
import { silentReporter, type Reporter } from '../reporting/reporter';
import { Tokens } from '../tokens';
import { createHooks, type EngineHooks } from './hooks';
import type { AdapterRequest, DataRequest, LossRequest, OptimizerRequest, StepInfo } from './hook-types';
import { HookStage } from './stages';
import { extname } from 'node:path';

/** What {@link Engine.trainStep} needs for one optimizer update. */
export interface TrainStepArgs {
  readonly stage: string;
  /** 1-based step number. */
  readonly step: number;
  readonly totalSteps?: number;
  readonly optimizer: tf.Optimizer;
  /** The trainable variables; only they receive gradients and optimizer state. */
  readonly variables: readonly tf.Variable[];
  /** Builds the loss of micro-batch `micro` of this step (typically through {@link Engine.computeLoss}). */
  readonly loss: (micro: number) => LossOutput;
  /** Micro-batches whose gradients are averaged into one update (default 1). */
  readonly accumulate?: number;
  /** Scale gradients down to this global L2 norm when above it (PyTorch's `clip_grad_norm_`). */
  readonly clipGradNorm?: number;
  /** Learning rate of this update, for optimizers that take one per step (the schedule's value). */
  readonly learningRate?: number;
}

/**
 * The engine: owns the hooks of every stage and the registries of the container it lives
 * in. Plugins tap its hooks (`apply(engine)`) and bind contributions into its container.
 */
export class Engine {
  /** Every extension point, documented in `createHooks`. */
  readonly hooks: EngineHooks = createHooks();
  readonly #plugins: AyaPlugin[] = [];
  #registries: Registries | undefined;

  constructor(readonly container: Container) {
    this.#tapDefaults();
  }

  /** The plugins loaded so far, in load order. */
  get plugins(): readonly AyaPlugin[] {
    return this.#plugins;
  }

  /** Registries collected from the container's bindings (validated, cached until the next `use`). */
  get registries(): Registries {
    this.#registries ??= collectRegistries(this.container);
    return this.#registries;
  }

  /** The bound reporter (silent unless the CLI or a test binds another). */
  get reporter(): Reporter {
    return this.container.get<Reporter>(Tokens.Reporter, { optional: true }) ?? silentReporter;
  }

  /** Loads a plugin: binds its contributions, then lets it tap the hooks. */
  use(plugin: AyaPlugin): this {
    if (typeof plugin?.name !== 'string' || (!plugin.containerModule && typeof plugin.apply !== 'function')) {
      throw new AyaError(`not a plugin: ${describe(plugin)}; expected { name, containerModule?, apply? } (see definePlugin)`);
    }
    if (plugin.containerModule) this.container.loadSync(plugin.containerModule);
    this.#registries = undefined;
    plugin.apply?.(this);
    this.#plugins.push(plugin);
    this.#registries = undefined;
    return this;
  }

  /** Validates options against a contribution's schema; errors name `where` and the field. */
  parseConfig<C>(contribution: Configurable<C> & { id: string }, config: unknown, where: string, options?: ParseOptions): C {
    if (!contribution.configSchema) return (config ?? {}) as C;
    return parseWithSchema(contribution.configSchema, config ?? {}, where, options);
  }

  /** Computes a loss through the `loss` and `processLoss` hooks. Synchronous: call it inside `tf.tidy`. */
  computeLoss<I>(request: LossRequest<I>): LossOutput {
    const output = this.hooks.loss.call(request);
    if (!output) throw new UsageError(`no plugin computed loss '${request.loss}'`);
    return this.hooks.processLoss.call(output, request);
  }

  /** Creates an optimizer through the `createOptimizer` hook. */
  createOptimizer(request: OptimizerRequest): tf.Optimizer {
    const optimizer = this.hooks.createOptimizer.call(request);
    if (!optimizer) throw new UsageError(`no plugin created optimizer '${request.optimizer}'`);
    return optimizer;
  }

  /** Wraps a model with an adapter through the `adapt` hook. */
  adapt<M extends AdaptableModel>(model: M, request: AdapterRequest): M {
    return this.hooks.adapt.call(model, request) as M;
  }

  /** Merges one tensor through the `mergeTensor` hook. */
  mergeTensor(request: TensorMergeRequest): Float32Array {
    const out = this.hooks.mergeTensor.call(request);
    if (!out) throw new UsageError(`no plugin merged tensor '${request.name}' with method '${request.method}'`);
    return out;
  }

  /** Opens a dataset through `loadData`, passing each parsed row through `transformRow`. */
  async *loadData(request: DataRequest): AsyncGenerator<DataRecord> {
    const records = await this.hooks.loadData.promise(request);
    if (!records) throw new UsageError(`${request.file}: no dataset format reads this file`);
    for await (const record of records) yield record.row ? { ...record, row: this.hooks.transformRow.call(record.row, request) } : record;
  }

  /**
   * One optimizer update inside `tf.tidy`: loss and gradients of `variables` (averaged over
   * `accumulate` micro-batches), the global gradient norm and optional clipping, the
   * `beforeOptimizerStep` waterfall, the update, then `afterOptimizerStep` and `step`. A NaN
   * or infinite loss throws before anything is applied.
   */
  trainStep(args: TrainStepArgs): StepInfo {
    const micro = args.accumulate ?? 1;
    let info: StepInfo | undefined;
    tf.tidy(() => {
      let grads: tf.NamedTensorMap = {};
      let lossSum = 0;
      const metricSums: Record<string, number> = {};
      for (let i = 0; i < micro; i++) {
        let metrics: Readonly<Record<string, tf.Scalar>> = {};
        const { value, grads: g } = tf.variableGrads(() => {
          const out = args.loss(i);
          metrics = out.metrics ?? {};
          for (const m of Object.values(metrics)) tf.keep(m);
          return micro === 1 ? out.loss : (tf.div(out.loss, micro) as tf.Scalar);
        }, args.variables as tf.Variable[]);
        const loss = value.dataSync()[0] * micro;
        for (const [k, m] of Object.entries(metrics)) {
          metricSums[k] = (metricSums[k] ?? 0) + m.dataSync()[0];
          m.dispose();
        }
        if (!Number.isFinite(loss)) {
          throw new AyaError(`stage '${args.stage}': loss is ${loss} at step ${args.step}; stopping before the update`);
        }
        lossSum += loss;
        grads = i === 0 ? g : Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.add(v, g[k])]));
      }
      const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
      const gradNorm = squares.length ? Math.sqrt(tf.addN(squares).dataSync()[0]) : 0;
      if (args.clipGradNorm !== undefined && gradNorm > args.clipGradNorm) {
        const scale = args.clipGradNorm / (gradNorm + 1e-6);
        grads = Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.mul(v, scale)]));
      }
      if (args.learningRate !== undefined && 'learningRate' in args.optimizer) {
        (args.optimizer as unknown as { learningRate: number }).learningRate = args.learningRate;
      }
      const stepInfo = { stage: args.stage, step: args.step, optimizer: args.optimizer };
      args.optimizer.applyGradients(this.hooks.beforeOptimizerStep.call(grads, stepInfo));
      this.hooks.afterOptimizerStep.call(stepInfo);
      const metrics = Object.fromEntries(Object.entries(metricSums).map(([k, v]) => [k, v / micro]));
      info = { stage: args.stage, step: args.step, totalSteps: args.totalSteps, loss: lossSum / micro, metrics, gradNorm, learningRate: args.learningRate };
      this.hooks.step.call(info);
    });
    return info!;
  }

  /** Whether a tap of `shouldStop` asks to stop after this step. */
  shouldStop(info: StepInfo): boolean {
    return this.hooks.shouldStop.call(info) === true;
  }

  #tapDefaults(): void {
    const name = 'aya-fw:registries';
    const at = { name, stage: HookStage.DEFAULT };
    this.hooks.loss.tap(at, (req) => {
      const def = this.registries.losses.get(req.loss);
      return def.compute(req.inputs, this.parseConfig(def, req.config, `loss '${def.id}'`));
    });
    this.hooks.createOptimizer.tap(at, (req) => {
      const def = this.registries.optimizers.get(req.optimizer);
      return def.create(this.parseConfig(def, req.config, `optimizer '${def.id}'`));
    });
    this.hooks.adapt.tap(at, (model, req) => {
      const def = this.registries.adapters.get(req.adapter);
      return def.apply(model, this.parseConfig(def, req.config, `adapter '${def.id}'`));
    });
    this.hooks.mergeTensor.tap(at, (req) => this.registries.mergeMethods.get(req.method).mergeTensor(req));
    this.hooks.loadData.tapPromise(at, async (req) => {
      const formats = this.registries.datasetFormats;
      if (req.format) return formats.get(req.format).read(req.file);
      const ext = extname(req.file).toLowerCase();
      const format = formats.list().find((f) => f.extensions.includes(ext));
      if (!format) {
        const known = formats.list().flatMap((f) => f.extensions);
        throw new UsageError(`${req.file}: no dataset format reads '${ext || '(no extension)'}' files; known: ${known.join(', ') || 'none'}`);
      }
      return format.read(req.file);
    });
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
}
