import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import type { AttachedModule } from '../hf/models/model';
import type { AdaptableModel } from '../registry/contributions';
import { writeAdapter } from './peft-format';
import { isTarget } from './targets';

/** A trainable adapter parameter holding `value` (which it takes over: the tensor itself is disposed). */
export function adapterParameter(value: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(value, true, name);
  value.dispose();
  return v;
}

/**
 * What every adapter shares, built-in or a plugin's: a unique name on its model, the linear
 * layers it targets (PEFT's `target_modules` matching), its parameters by PEFT key, the wrappers
 * it installed (removed by `detach`), a training flag, and saving as an adapter folder with its
 * `peftConfig()` (which `loadAdapter` reads back through the adapter registry).
 */
export abstract class AdapterBase implements AttachedModule {
  active = true;
  /** Dropout and similar apply only while training (`prepareAdapter` sets this). */
  training = false;
  readonly parameters = new Map<string, tf.Variable>();
  /** The linear layers this adapter wraps. */
  protected readonly targets: string[];
  /** Removers of the wrappers it installed (`this.unwrap.push(model.wrapLinear(…))`), run by `detach`. */
  protected readonly unwrap: (() => void)[] = [];

  constructor(
    readonly model: AdaptableModel,
    readonly name: string,
    targetModules: string | readonly string[],
    kind: string,
  ) {
    if (model.attached.has(name)) throw new UsageError(`the model already has an adapter named '${name}'`);
    this.targets = model.linearNames().filter((m) => isTarget(m, targetModules));
    if (this.targets.length === 0) {
      throw new UsageError(`${kind}: target_modules ${JSON.stringify(targetModules)} match no linear layer of this ${model.config.modelType} model`);
    }
  }

  /** Registers the adapter on its model once its parameters and wrappers exist. */
  protected attach(): void {
    this.model.attached.set(this.name, this);
  }

  /** Removes the wrappers and frees the parameters. */
  detach(): void {
    for (const u of this.unwrap) u();
    for (const v of this.parameters.values()) v.dispose();
    this.model.attached.delete(this.name);
  }

  /** `adapter_config.json`: PEFT's schema, with this adapter type's `peft_type`. */
  abstract peftConfig(): Record<string, unknown>;

  save(dir: string): void {
    writeAdapter(dir, this.peftConfig(), this);
  }
}
