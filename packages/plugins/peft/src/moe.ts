import { gaussian, Rng, tf, UsageError, z, type AdapterDefinition, AdapterBase, adapterParameter, isTarget, type AdaptableModel } from '@aya-fw/core';

/**
 * Router weights for `n` experts on a `d`-dimensional activation: normal(0, 0.02), no bias
 * (`for-ai/parameter-efficient-moe`, `src/routing.py`).
 */
function router(name: string, d: number, n: number, rng: Rng): tf.Variable {
  return adapterParameter(tf.tensor2d(Float32Array.from({ length: n * d }, () => 0.02 * gaussian(rng)), [n, d]), name);
}

/** Soft-merge weights s = softmax(x·Wgᵀ) over experts, [..., n]; with `topK`, the top k kept and the rest zeroed (not renormalised). */
export function routerProbabilities(x: tf.Tensor, weight: tf.Tensor, topK: number | undefined): tf.Tensor {
  const d = x.shape[x.shape.length - 1];
  const n = weight.shape[0];
  const lead = x.shape.slice(0, -1);
  const probs = tf.softmax(tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), weight, false, true), [-1, n]));
  if (!topK || topK >= n) return tf.reshape(probs, [...lead, n]);
  const { indices } = tf.topk(probs, topK);
  const mask = tf.sum(tf.oneHot(indices, n), 1);
  return tf.reshape(tf.mul(probs, mask), [...lead, n]);
}

const MoeFields = {
  name: z.string().default('default'),
  numExperts: z.number().int().positive().default(10),
  topK: z.number().int().positive().optional().describe('Keep only the k most probable experts per token (the paper\'s ablation); default: soft merge of all.'),
  seed: z.number().int().nonnegative().default(0),
};

/** Options of MoV (mixture of IA3 vectors). */
export const MovConfigSchema = z
  .object({
    ...MoeFields,
    targetModules: z.union([z.array(z.string()).min(1), z.string()]).default(['k_proj', 'v_proj', 'down_proj']).describe('Where the experts act: projected keys and values (output) and the FFN intermediate (input of down_proj).'),
    feedforwardModules: z.union([z.array(z.string()), z.string()]).default(['down_proj']),
  })
  .strict();
export type MovConfig = z.infer<typeof MovConfigSchema>;

/** Options of MoLoRA (mixture of LoRA experts). */
export const MoloraConfigSchema = z
  .object({
    ...MoeFields,
    r: z.number().int().positive().default(4),
    loraAlpha: z.number().positive().default(16),
    targetModules: z.union([z.array(z.string()).min(1), z.string()]).default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
  })
  .strict();
export type MoloraConfig = z.infer<typeof MoloraConfigSchema>;

/**
 * MoV (Zadouri et al., arXiv 2309.05444, `src/mov.py`): n IA3 vectors per target, mixed per token
 * by a softmax router on the activation they scale. On keys and values the router is shared
 * across heads and routes each head's [head_dim] slice (`mov_scaling` [heads, n, head_dim]); on
 * the FFN intermediate it routes the whole activation (`mov_scaling` [n, d_ff]). Vectors start at 1.
 */
export class MovAdapter extends AdapterBase {
  constructor(model: AdaptableModel, readonly config: MovConfig) {
    super(model, config.name, config.targetModules, 'mov');
    const rng = new Rng(config.seed);
    const n = config.numExperts;
    const c = model.config;
    for (const module of this.targets) {
      const { inFeatures: inp, outFeatures: out } = model.linearShape(module);
      const feedforward = isTarget(module, config.feedforwardModules);
      const id = `${model.id}/mov/${config.name}/${module}`;
      if (feedforward) {
        const scaling = adapterParameter(tf.ones([n, inp]), `${id}.mov_scaling`);
        const gate = router(`${id}.router`, inp, n, rng);
        this.parameters.set(`${module}.mov_scaling`, scaling);
        this.parameters.set(`${module}.router.weight`, gate);
        this.unwrap.push(
          model.wrapLinear(module, (x, base) => {
            if (!this.active) return base(x);
            const s = routerProbabilities(x, gate, config.topK);
            const mix = tf.reshape(tf.matMul(tf.reshape(s, [-1, n]), scaling), x.shape);
            return base(tf.mul(x, mix));
          }),
        );
      } else {
        const heads = out / c.headDim;
        if (!Number.isInteger(heads)) throw new UsageError(`mov: ${module} has ${out} outputs, not a multiple of head_dim ${c.headDim}`);
        const hd = c.headDim;
        const scaling = adapterParameter(tf.ones([heads, n, hd]), `${id}.mov_scaling`);
        const gate = router(`${id}.router`, hd, n, rng);
        this.parameters.set(`${module}.mov_scaling`, scaling);
        this.parameters.set(`${module}.router.weight`, gate);
        this.unwrap.push(
          model.wrapLinear(module, (x, base) => {
            const y = base(x);
            if (!this.active) return y;
            const lead = y.shape.slice(0, -1);
            const perHead = tf.reshape(y, [-1, heads, hd]);
            const s = routerProbabilities(perHead, gate, config.topK); // [N, heads, n]
            const mix = tf.transpose(tf.matMul(tf.transpose(s, [1, 0, 2]), scaling), [1, 0, 2]); // [N, heads, hd]
            return tf.reshape(tf.mul(perHead, mix), [...lead, out]);
          }),
        );
      }
    }
    this.attach();
  }

  peftConfig(): Record<string, unknown> {
    return {
      peft_type: 'MOV',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: this.model.source ?? null,
      num_experts: this.config.numExperts,
      top_k: this.config.topK ?? null,
      target_modules: this.config.targetModules,
      feedforward_modules: this.config.feedforwardModules,
      inference_mode: true,
    };
  }
}

/**
 * MoLoRA (arXiv 2309.05444, `src/molora.py`): n LoRA experts per target module mixed per token by a
 * softmax router on the layer input: Δ(x) = (α/r)·Σᵢ sᵢ·(x·Aᵢᵀ)·Bᵢᵀ, A ~ normal(0.02), B = 0.
 */
export class MoloraAdapter extends AdapterBase {
  constructor(model: AdaptableModel, readonly config: MoloraConfig) {
    super(model, config.name, config.targetModules, 'molora');
    const rng = new Rng(config.seed);
    const { numExperts: n, r } = config;
    const scale = config.loraAlpha / r;
    for (const module of this.targets) {
      const { inFeatures: inp, outFeatures: out } = model.linearShape(module);
      const id = `${model.id}/molora/${config.name}/${module}`;
      const A = adapterParameter(tf.tensor3d(Float32Array.from({ length: n * r * inp }, () => 0.02 * gaussian(rng)), [n, r, inp]), `${id}.lora_A`);
      const B = adapterParameter(tf.zeros([n, out, r]), `${id}.lora_B`);
      const gate = router(`${id}.router`, inp, n, rng);
      this.parameters.set(`${module}.lora_A.weight`, A);
      this.parameters.set(`${module}.lora_B.weight`, B);
      this.parameters.set(`${module}.router.weight`, gate);
      this.unwrap.push(
        model.wrapLinear(module, (x, base) => {
          const y = base(x);
          if (!this.active) return y;
          const flat = tf.reshape(x, [-1, inp]);
          const s = tf.reshape(routerProbabilities(flat, gate, config.topK), [-1, n, 1]);
          const xa = tf.reshape(tf.matMul(flat, tf.reshape(A, [n * r, inp]), false, true), [-1, n, r]);
          const mixed = tf.reshape(tf.mul(xa, s), [-1, n * r]);
          const bt = tf.reshape(tf.transpose(B, [0, 2, 1]), [n * r, out]);
          return tf.add(y, tf.reshape(tf.mul(tf.matMul(mixed, bt), scale), y.shape));
        }),
      );
    }
    this.attach();
  }

  peftConfig(): Record<string, unknown> {
    return {
      peft_type: 'MOLORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: this.model.source ?? null,
      num_experts: this.config.numExperts,
      top_k: this.config.topK ?? null,
      r: this.config.r,
      lora_alpha: this.config.loraAlpha,
      target_modules: this.config.targetModules,
      inference_mode: true,
    };
  }
}

export const mov: AdapterDefinition<MovConfig> = {
  id: 'mov',
  description: 'MoV: per-token soft mixture of IA3 vectors on keys, values and the FFN intermediate',
  configSchema: MovConfigSchema,
  peftType: 'MOV',
  apply: (model, config) => {
    new MovAdapter(model, config);
    return model;
  },
  fromPeftConfig: (peft, name) => ({ name, numExperts: peft.num_experts, topK: peft.top_k ?? undefined, targetModules: peft.target_modules, feedforwardModules: peft.feedforward_modules ?? [] }),
};

export const molora: AdapterDefinition<MoloraConfig> = {
  id: 'molora',
  description: 'MoLoRA: per-token soft mixture of LoRA experts on the target modules',
  configSchema: MoloraConfigSchema,
  peftType: 'MOLORA',
  apply: (model, config) => {
    new MoloraAdapter(model, config);
    return model;
  },
  fromPeftConfig: (peft, name) => ({ name, numExperts: peft.num_experts, topK: peft.top_k ?? undefined, r: peft.r, loraAlpha: peft.lora_alpha, targetModules: peft.target_modules }),
};
