import { Rng, tf, UsageError, z, type AdapterDefinition, AdapterBase, adapterParameter, PEFT_PREFIX, patternValue, type AdaptableModel } from '@aya-fw/core';

/** Options of a LoRA adapter (PEFT's `LoraConfig`, camel-cased). */
export const LoraConfigSchema = z
  .object({
    name: z.string().default('default').describe('Adapter name; several named adapters can live on one model.'),
    r: z.number().int().positive().default(8),
    loraAlpha: z.number().positive().default(8),
    loraDropout: z.number().min(0).lt(1).default(0),
    targetModules: z.union([z.array(z.string()).min(1), z.string()]).default(['q_proj', 'v_proj']).describe('Module names (`q_proj`) or one regular expression matched against the full module path.'),
    useRslora: z.boolean().default(false).describe('rsLoRA: scale by α/√r instead of α/r.'),
    rankPattern: z.record(z.string(), z.number().int().positive()).default({}),
    alphaPattern: z.record(z.string(), z.number().positive()).default({}),
    initLoraWeights: z.boolean().default(true).describe('PEFT\'s default init: A Kaiming-uniform, B zeros (the adapter starts as a no-op).'),
    seed: z.number().int().nonnegative().default(0),
  })
  .strict();
export type LoraConfig = z.infer<typeof LoraConfigSchema>;

interface LoraModule {
  readonly module: string;
  readonly A: tf.Variable;
  readonly B: tf.Variable;
  readonly scaling: number;
  /** GPT-2 `Conv1D`: the base weight is [in, out], so merged deltas are transposed. */
  readonly fanInFanOut: boolean;
}

/** A LoRA adapter attached to a model: wrappers on its target modules and PEFT-format I/O. */
export class LoraAdapter extends AdapterBase {
  readonly modules: LoraModule[] = [];
  #merged = false;

  constructor(
    model: AdaptableModel,
    readonly config: LoraConfig,
  ) {
    super(model, config.name, config.targetModules, 'lora');
    const rng = new Rng(config.seed);
    for (const module of this.targets) {
      const { inFeatures: inp, outFeatures: out, fanInFanOut } = model.linearShape(module);
      const r = patternValue(module, config.rankPattern, config.r);
      const alpha = patternValue(module, config.alphaPattern, config.loraAlpha);
      const bound = 1 / Math.sqrt(inp);
      const a = Float32Array.from({ length: r * inp }, () => (config.initLoraWeights ? (2 * rng.next() - 1) * bound : 0));
      const A = adapterParameter(tf.tensor2d(a, [r, inp]), `${model.id}/lora/${config.name}/${module}.lora_A`);
      const B = adapterParameter(tf.zeros([out, r]), `${model.id}/lora/${config.name}/${module}.lora_B`);
      const scaling = config.useRslora ? alpha / Math.sqrt(r) : alpha / r;
      this.parameters.set(`${module}.lora_A.weight`, A);
      this.parameters.set(`${module}.lora_B.weight`, B);
      const entry = { module, A, B, scaling, fanInFanOut };
      this.modules.push(entry);
      this.unwrap.push(
        model.wrapLinear(module, (x, base) => {
          if (!this.active || this.#merged) return base(x);
          const dropped = config.loraDropout > 0 && this.training ? tf.dropout(x, config.loraDropout) : x;
          const shape = dropped.shape;
          const flat = tf.reshape(dropped, [-1, shape[shape.length - 1]]);
          const delta = tf.matMul(tf.matMul(flat, A, false, true), B, false, true);
          return tf.add(base(x), tf.reshape(tf.mul(delta, scaling), [...shape.slice(0, -1), out]));
        }),
      );
    }
    this.attach();
  }

  /** W ← W + s·B·A in every target module (PEFT `merge`, (s·B·A)ᵀ for `Conv1D`); the adapter stops adding its term. */
  merge(): void {
    if (this.#merged) return;
    this.#addDelta(1);
    this.#merged = true;
  }

  /** Undoes {@link merge}. */
  unmerge(): void {
    if (!this.#merged) return;
    this.#addDelta(-1);
    this.#merged = false;
  }

  #addDelta(sign: 1 | -1): void {
    for (const m of this.modules) {
      tf.tidy(() => {
        const w = this.model.param(`${m.module}.weight`);
        const delta = m.fanInFanOut ? tf.matMul(m.A, m.B, true, true) : tf.matMul(m.B, m.A);
        w.assign(tf.add(w, tf.mul(delta, sign * m.scaling)));
      });
    }
  }

  /** PEFT `merge_and_unload`: merges into the base weights and removes the adapter. */
  mergeAndUnload(): void {
    this.merge();
    this.detach();
  }

  /** `adapter_config.json` in PEFT's schema. */
  peftConfig(): Record<string, unknown> {
    const c = this.config;
    return {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: this.model.source ?? null,
      r: c.r,
      lora_alpha: c.loraAlpha,
      lora_dropout: c.loraDropout,
      target_modules: c.targetModules,
      use_rslora: c.useRslora,
      rank_pattern: c.rankPattern,
      alpha_pattern: c.alphaPattern,
      bias: 'none',
      fan_in_fan_out: this.modules.some((m) => m.fanInFanOut),
      init_lora_weights: c.initLoraWeights,
      use_dora: false,
      modules_to_save: null,
      inference_mode: true,
    };
  }
}

/** LoRA config from a PEFT `adapter_config.json`. */
export function loraConfigFromPeft(peft: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> {
  return {
    name,
    r: peft.r,
    loraAlpha: peft.lora_alpha,
    loraDropout: peft.lora_dropout ?? 0,
    targetModules: peft.target_modules,
    useRslora: peft.use_rslora ?? false,
    rankPattern: peft.rank_pattern ?? {},
    alphaPattern: peft.alpha_pattern ?? {},
    initLoraWeights: false,
  };
}

export const lora: AdapterDefinition<LoraConfig> = {
  id: 'lora',
  description: 'LoRA (and rsLoRA) in PEFT’s format: W + (α/r)·B·A on target modules',
  configSchema: LoraConfigSchema,
  peftType: 'LORA',
  apply: (model, config) => {
    new LoraAdapter(model, config);
    return model;
  },
  fromPeftConfig: (peft, name) => {
    if (peft.use_dora) throw new UsageError('DoRA adapters (use_dora: true) are not supported');
    return loraConfigFromPeft(peft, name);
  },
};

