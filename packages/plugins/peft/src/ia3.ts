import { tf, z, type AdapterDefinition, AdapterBase, adapterParameter, isTarget, type AdaptableModel } from '@aya-fw/core';

/** Options of an IA3 adapter (PEFT's `IA3Config`). */
export const Ia3ConfigSchema = z
  .object({
    name: z.string().default('default'),
    targetModules: z.union([z.array(z.string()).min(1), z.string()]).default(['k_proj', 'v_proj', 'down_proj']).describe('PEFT\'s Llama-family default targets.'),
    feedforwardModules: z.union([z.array(z.string()), z.string()]).default(['down_proj']).describe('Targets whose input is scaled (the rest scale their output).'),
  })
  .strict();
export type Ia3Config = z.infer<typeof Ia3ConfigSchema>;

interface Ia3Module {
  readonly module: string;
  readonly l: tf.Variable;
  readonly feedforward: boolean;
  readonly fanInFanOut: boolean;
}

/**
 * IA3 (Liu et al. 2022) as PEFT defines it: a learned vector `ia3_l`, initialised to ones, that
 * scales the input of feed-forward target modules (shape [1, in]) and the output of the others
 * (shape [out, 1], bias included).
 */
export class Ia3Adapter extends AdapterBase {
  readonly modules: Ia3Module[] = [];

  constructor(
    model: AdaptableModel,
    readonly config: Ia3Config,
  ) {
    super(model, config.name, config.targetModules, 'ia3');
    for (const module of this.targets) {
      const { inFeatures: inp, outFeatures: out, fanInFanOut } = model.linearShape(module);
      const feedforward = isTarget(module, config.feedforwardModules);
      const l = adapterParameter(tf.ones(feedforward ? [1, inp] : [out, 1]), `${model.id}/ia3/${config.name}/${module}.ia3_l`);
      this.parameters.set(`${module}.ia3_l`, l);
      this.modules.push({ module, l, feedforward, fanInFanOut });
      this.unwrap.push(
        model.wrapLinear(module, (x, base) => {
          if (!this.active) return base(x);
          return feedforward ? base(tf.mul(x, tf.reshape(l, [inp]))) : tf.mul(base(x), tf.reshape(l, [out]));
        }),
      );
    }
    this.attach();
  }

  /** Scales the base weights (and output biases) by the vectors and removes the adapter. */
  mergeAndUnload(): void {
    for (const m of this.modules) {
      tf.tidy(() => {
        const w = this.model.param(`${m.module}.weight`);
        w.assign(tf.mul(w, m.fanInFanOut ? tf.transpose(m.l) : m.l));
        const bias = this.model.maybeParam(`${m.module}.bias`);
        if (bias && !m.feedforward) bias.assign(tf.mul(bias, tf.reshape(m.l, bias.shape)));
      });
    }
    this.detach();
  }

  peftConfig(): Record<string, unknown> {
    return {
      peft_type: 'IA3',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: this.model.source ?? null,
      target_modules: this.config.targetModules,
      feedforward_modules: this.config.feedforwardModules,
      fan_in_fan_out: this.modules.some((m) => m.fanInFanOut),
      init_ia3_weights: true,
      modules_to_save: null,
      inference_mode: true,
    };
  }
}

/** IA3 config from a PEFT `adapter_config.json`. */
export function ia3ConfigFromPeft(peft: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> {
  return { name, targetModules: peft.target_modules, feedforwardModules: peft.feedforward_modules ?? [] };
}

export const ia3: AdapterDefinition<Ia3Config> = {
  id: 'ia3',
  description: 'IA3 in PEFT’s format: learned vectors scaling feed-forward inputs and other outputs',
  configSchema: Ia3ConfigSchema,
  peftType: 'IA3',
  apply: (model, config) => {
    new Ia3Adapter(model, config);
    return model;
  },
  fromPeftConfig: ia3ConfigFromPeft,
};
