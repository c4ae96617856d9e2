import * as tf from '@tensorflow/tfjs';
import type { Container } from 'inversify';
import { parseWithSchema, type ParseOptions } from '../config/validate';
import { AyaError, InterruptedError, UsageError } from '../errors';
import type { AyaPlugin } from '../plugin/plugin';
import type { AdaptableModel, Configurable, DataRecord, LossDefinition, LossOutput, TensorMergeRequest } from '../registry/contributions';
import { collectRegistries, type ContributionKinds, type Registries } from '../registry/registries';
import type { AyaOptimizer } from '../training/optimizer';
import { silentReporter, type Reporter } from '../reporting/reporter';
import { Tokens } from '../tokens';
import { createHooks, type EngineHooks } from './hooks';
import type { AdapterRequest, DataRequest, LossRequest, OptimizerRequest, OptimizerStepInfo, StepInfo } from './hook-types';
import { HookStage } from './stages';
import { extname } from 'node:path';

/** What {@link Engine.trainStep} needs for one optimizer update. */
export interface TrainStepArgs {
  readonly stage: string;
  /** 1-based step number. */
  readonly step: number;
  readonly totalSteps?: number;
  readonly optimizer: AyaOptimizer;
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

/** A loss resolved and configured once, computed through the `loss` and `processLoss` hooks at every step. */
export interface PreparedLoss<I = unknown> {
  readonly id: string;
  readonly definition: LossDefinition;
  /** Its options, validated by its schema. */
  readonly config: unknown;
  /** Synchronous: call it inside `tf.tidy`. */
  compute(inputs: I): LossOutput;
}

/** Options of {@link Engine.prepareLoss}. */
export interface PrepareLossOptions extends ParseOptions {
  /** The input kind the caller feeds (`pairwise`, `token`…); another kind is a usage error. */
  readonly inputKind?: string;
  /** The stage computing it (passed on in every {@link LossRequest}). */
  readonly stage?: string;
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

  /**
   * The contribution `id` of `kind`, through the `resolve` hook: the one place ids are looked
   * up (an unknown id is a usage error listing the known ones).
   */
  resolve<K extends keyof ContributionKinds>(kind: K, id: string): ContributionKinds[K] {
    const found = this.hooks.resolve.call({ kind, id });
    if (!found) throw new UsageError(`no plugin provides ${kind} '${id}'`);
    return found as ContributionKinds[K];
  }

  /** Resolves a contribution and validates its options once: what recipes check before any stage runs. */
  configure<K extends keyof ContributionKinds>(kind: K, id: string, config: unknown, where: string, options?: ParseOptions): { definition: ContributionKinds[K]; config: unknown } {
    const definition = this.resolve(kind, id);
    return { definition, config: this.parseConfig(definition as Configurable<unknown> & { id: string }, config, where, options) };
  }

  /** Resolves and configures a loss once, for a trainer to compute at every step. */
  prepareLoss<I = unknown>(id: string, config: unknown, where: string, options: PrepareLossOptions = {}): PreparedLoss<I> {
    const { definition, config: parsed } = this.configure('losses', id, config, where, options);
    if (options.inputKind && definition.inputKind !== options.inputKind) {
      throw new UsageError(`${options.stage ?? where}: loss '${id}' takes '${definition.inputKind}' inputs; this trainer feeds '${options.inputKind}' ones`);
    }
    return { id, definition, config: parsed, compute: (inputs) => this.computeLoss({ loss: id, inputs, config: parsed, stage: options.stage }) };
  }

  /**
   * Computes a loss through the `loss` and `processLoss` hooks; `request.config` must already be
   * validated (use {@link prepareLoss}). Synchronous: call it inside `tf.tidy`.
   */
  computeLoss<I>(request: LossRequest<I>): LossOutput {
    const output = this.hooks.loss.call(request);
    if (!output) throw new UsageError(`no plugin computed loss '${request.loss}'`);
    return this.hooks.processLoss.call(output, request);
  }

  /** Creates an optimizer through the `createOptimizer` hook. */
  createOptimizer(request: OptimizerRequest): AyaOptimizer {
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
   * `accumulate` micro-batches) and their global norm, the `beforeOptimizerStep` waterfall (whose
   * default tap clips to `clipGradNorm`), the update at the step's learning rate, then
   * `afterOptimizerStep` and `step`. A NaN or infinite loss throws before anything is applied.
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
      const stepInfo: OptimizerStepInfo = { stage: args.stage, step: args.step, optimizer: args.optimizer, gradNorm, clipGradNorm: args.clipGradNorm, learningRate: args.learningRate };
      const final = this.hooks.beforeOptimizerStep.call(grads, stepInfo);
      if (stepInfo.learningRate !== undefined) args.optimizer.learningRate = stepInfo.learningRate;
      args.optimizer.applyGradients(final);
      this.hooks.afterOptimizerStep.call(stepInfo);
      const metrics = Object.fromEntries(Object.entries(metricSums).map(([k, v]) => [k, v / micro]));
      info = { stage: args.stage, step: args.step, totalSteps: args.totalSteps, loss: lossSum / micro, metrics, gradNorm, learningRate: stepInfo.learningRate };
      this.hooks.step.call(info);
    });
    return info!;
  }

  /** Whether a tap of `shouldStop` asks to stop after this step. */
  shouldStop(info: StepInfo): boolean {
    return this.hooks.shouldStop.call(info) === true;
  }

  #interrupted = false;

  /**
   * Asks the run to end at the next step boundary (the CLI calls this on SIGINT): training loops
   * write a checkpoint there and throw {@link InterruptedError}; no later stage starts.
   */
  interrupt(): void {
    this.#interrupted = true;
  }

  /** Whether {@link interrupt} was called. */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  /** Throws {@link InterruptedError} if the run was interrupted (between stages: `what` did not start). */
  throwIfInterrupted(what: string): void {
    if (this.#interrupted) throw new InterruptedError(`interrupted: ${what}`);
  }

  /**
   * A training loop's step boundary: lets a pending signal's handler run (a loop of synchronous
   * steps never yields to the event loop otherwise), and if the run was interrupted, writes a
   * checkpoint with `save` and throws {@link InterruptedError} naming it and `what` ended.
   */
  async stopIfInterrupted(what: string, save: () => Promise<string>): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    if (this.#interrupted) throw new InterruptedError(`interrupted: ${what}; checkpoint ${await save()}`);
  }

  #tapDefaults(): void {
    const name = 'aya-fw:registries';
    const at = { name, stage: HookStage.DEFAULT };
    this.hooks.resolve.tap(at, (req) => this.registries[req.kind].get(req.id));
    this.hooks.loss.tap(at, (req) => this.resolve('losses', req.loss).compute(req.inputs, req.config));
    this.hooks.createOptimizer.tap(at, (req) => {
      const { definition, config } = this.configure('optimizers', req.optimizer, req.config, req.where ?? `optimizer '${req.optimizer}'`);
      return definition.create(config);
    });
    this.hooks.beforeOptimizerStep.tap({ name: 'aya-fw:clip-grad-norm', stage: HookStage.DEFAULT }, (grads, info) => {
      if (info.clipGradNorm === undefined || !(info.gradNorm > info.clipGradNorm)) return grads;
      const scale = info.clipGradNorm / (info.gradNorm + 1e-6);
      return Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.mul(v, scale)]));
    });
    this.hooks.adapt.tap(at, (model, req) => {
      const { definition, config } = this.configure('adapters', req.adapter, req.config, req.where ?? `adapter '${req.adapter}'`);
      return definition.apply(model, config);
    });
    this.hooks.mergeTensor.tap(at, (req) => this.resolve('mergeMethods', req.method).mergeTensor(req));
    this.hooks.loadData.tapPromise(at, async (req) => {
      const formats = this.registries.datasetFormats;
      if (req.format) return this.resolve('datasetFormats', req.format).read(req.file);
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
