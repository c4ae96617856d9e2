import * as tf from '@tensorflow/tfjs';

/** A named tensor as tfjs optimizers exchange them. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** A tensor of optimizer state by `<variable name>/<slot>`, for checkpoints. */
export type OptimizerState = Record<string, tf.Tensor>;

/**
 * Base of aya-fw's optimizers: tfjs `Optimizer`s whose learning rate the schedule sets before
 * each step, and whose state reads and writes synchronously for checkpoints. State is created
 * only for the variables that receive gradients (frozen bases get none).
 */
export abstract class AyaOptimizer extends tf.Optimizer {
  /** Updates applied so far (bias correction, Adafactor's decay). */
  step = 0;
  protected readonly slots = new Map<string, tf.Variable>();

  constructor(public learningRate: number) {
    super();
  }

  /** One update of `variable` with `gradient`; runs inside `tf.tidy`. */
  protected abstract update(variable: tf.Variable, gradient: tf.Tensor): void;

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor] as const) : Object.entries(variableGradients);
    this.step++;
    for (const [name, gradient] of entries) {
      if (!gradient) continue;
      const variable = tf.engine().registeredVariables[name];
      tf.tidy(() => this.update(variable, gradient));
    }
  }

  /** A state slot of a variable, created (filled with `init`) on first use. */
  protected slot(variable: tf.Variable, name: string, shape: readonly number[] = variable.shape, init = 0): tf.Variable {
    const key = `${variable.name}/${name}`;
    let v = this.slots.get(key);
    if (!v) {
      v = tf.keep(tf.variable(tf.fill([...shape], init), false));
      this.slots.set(key, v);
    }
    return v;
  }

  /** Every state tensor by `<variable>/<slot>`, plus the step count under `__step__`. */
  stateTensors(): OptimizerState {
    const out: OptimizerState = { __step__: tf.scalar(this.step) };
    for (const [k, v] of this.slots) out[k] = v;
    return out;
  }

  /** Restores state written by {@link stateTensors} (tensors are copied). */
  loadState(state: Readonly<Record<string, { values: Float32Array; shape: readonly number[] }>>): void {
    this.step = state.__step__ ? state.__step__.values[0] : 0;
    for (const [k, { values, shape }] of Object.entries(state)) {
      if (k === '__step__') continue;
      const existing = this.slots.get(k);
      const t = tf.tensor(values, [...shape]);
      if (existing) {
        existing.assign(t);
        t.dispose();
      } else {
        this.slots.set(k, tf.keep(tf.variable(t, false)));
        t.dispose();
      }
    }
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return Object.entries(this.stateTensors()).map(([name, tensor]) => ({ name, tensor }));
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const state: Record<string, { values: Float32Array; shape: number[] }> = {};
    for (const { name, tensor } of weightValues) state[name] = { values: tensor.dataSync() as Float32Array, shape: tensor.shape };
    this.loadState(state);
  }

  override dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate };
  }
}
