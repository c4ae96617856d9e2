import { Rng, tf, type AdapterSpec, type Engine, type ReproductionDefinition } from '@aya-fw/core';
import { exactMatch, toyModel, trainToy } from './experiment';
import { toyExamples } from './tasks';

/** One fine-tuning method of the comparison: full fine-tuning or an adapter, with its learning rate. */
export interface ToyMethod {
  readonly id: string;
  readonly adapter?: AdapterSpec;
  readonly learningRate: number;
}

/**
 * The comparison of the MoV paper's Table 1 at toy scale. The mixtures use 4 experts and stay
 * under 1% of the base's parameters; LoRA's rank (6) is chosen to match MoLoRA's parameter count
 * (4 rank-1 experts and their router); IA3 is MoV's single expert, its size fixed by the model.
 * MoLoRA's α is 2·n so that the soft merge of n experts (each weighted ≈ 1/n at the start)
 * begins at LoRA's effective scale. Learning rates were picked per method from {3e-3, 1e-2,
 * 3e-2, 1e-1} on this setting.
 */
export const TOY_METHODS: readonly ToyMethod[] = [
  { id: 'full', learningRate: 1e-3 },
  { id: 'ia3', adapter: { type: 'ia3' }, learningRate: 1e-1 },
  { id: 'mov', adapter: { type: 'mov', numExperts: 4 }, learningRate: 1e-1 },
  { id: 'lora', adapter: { type: 'lora', r: 6, loraAlpha: 12, targetModules: ['q_proj', 'v_proj'] }, learningRate: 1e-2 },
  { id: 'molora', adapter: { type: 'molora', numExperts: 4, r: 1, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'] }, learningRate: 1e-2 },
];

/** Steps and batch sizes of the reproduction. */
export interface ToyReproOptions {
  readonly pretrainSteps: number;
  readonly finetuneSteps: number;
  readonly batchSize: number;
  readonly heldOut: number;
  readonly methods: readonly ToyMethod[];
}

export const TOY_REPRO_DEFAULTS: ToyReproOptions = { pretrainSteps: 200, finetuneSteps: 200, batchSize: 64, heldOut: 2048, methods: TOY_METHODS };

export interface ToyMethodResult {
  readonly method: string;
  readonly trainable: number;
  readonly share: number;
  readonly heldOut: Record<string, number>;
  readonly relativeToFull: number;
}

export interface MoeToyResult extends Record<string, unknown> {
  readonly seed: number;
  readonly baseParameters: number;
  /** The pre-trained base on held-out inputs in its own format (markers) and in the new instruction format. */
  readonly base: { readonly pretrainFormat: number; readonly instructionFormat: number };
  readonly methods: readonly ToyMethodResult[];
}

/**
 * Pre-trains the toy base once, then instruction-tunes a copy of it with each method and scores
 * the exact match of held-out answers.
 */
export async function runMoeToy(engine: Engine, seed: number, options: ToyReproOptions = TOY_REPRO_DEFAULTS, log: (line: string) => void = () => {}): Promise<MoeToyResult> {
  const base = toyModel(seed);
  trainToy(engine, base, { stage: 'moe-toy/pretrain', steps: options.pretrainSteps, batchSize: options.batchSize, learningRate: 2e-3, format: 'pretrain', seed: seed + 1 });
  const heldOut = toyExamples(new Rng(seed + 2), options.heldOut, 'instruction', 'heldout');
  const baseScores = {
    pretrainFormat: exactMatch(base, toyExamples(new Rng(seed + 2), options.heldOut, 'pretrain', 'heldout')).overall,
    instructionFormat: exactMatch(base, heldOut).overall,
  };
  log(`base: held-out exact match ${pct(baseScores.pretrainFormat)} with its pre-training markers, ${pct(baseScores.instructionFormat)} with the new instructions`);
  const snapshot = new Map([...base.namedParameters()].map(([name, v]) => [name, tf.clone(v)]));
  const baseParameters = [...snapshot.values()].reduce((n, t) => n + t.size, 0);
  base.dispose();
  const methods: ToyMethodResult[] = [];
  try {
    for (const method of options.methods) {
      const model = toyModel(seed);
      try {
        for (const [name, v] of model.namedParameters()) v.assign(snapshot.get(name)!);
        if (method.adapter) {
          const { type, ...config } = method.adapter;
          engine.adapt(model, { adapter: type, config });
          for (const v of model.namedParameters().values()) v.trainable = false;
        }
        const trainable = model.trainableVariables().reduce((n, v) => n + v.size, 0);
        trainToy(engine, model, { stage: `moe-toy/${method.id}`, steps: options.finetuneSteps, batchSize: options.batchSize, learningRate: method.learningRate, format: 'instruction', seed: seed + 3 });
        const scores = exactMatch(model, heldOut);
        const full = methods.find((m) => m.method === 'full');
        const result = { method: method.id, trainable, share: trainable / baseParameters, heldOut: scores, relativeToFull: full ? scores.overall / full.heldOut.overall : 1 };
        methods.push(result);
        log(`${method.id}: ${trainable.toLocaleString('en-US')} trainable (${(100 * result.share).toFixed(2)}%), held-out exact match ${pct(scores.overall)} (${pct(result.relativeToFull)} of full fine-tuning)`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    for (const t of snapshot.values()) t.dispose();
  }
  return { seed, baseParameters, base: baseScores, methods };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `aya-fw repro moe-toy`: the MoV paper's comparison on a generated multi-task instruction set. */
export const moeToy: ReproductionDefinition<MoeToyResult> = {
  id: 'moe-toy',
  description: 'MoV paper Table 1 at toy scale: full fine-tuning, IA3, MoV, LoRA, MoLoRA on a generated multi-task instruction set',
  async run({ engine, seed, reporter }) {
    return runMoeToy(engine, seed, TOY_REPRO_DEFAULTS, (line) => reporter.info(line));
  },
  summarize(result) {
    return [
      `base (${result.baseParameters.toLocaleString('en-US')} parameters): ${pct(result.base.pretrainFormat)} with pre-training markers, ${pct(result.base.instructionFormat)} with new instructions`,
      ...result.methods.map((m) => `${m.method.padEnd(7)} ${(100 * m.share).toFixed(2).padStart(6)}% trainable  held-out ${pct(m.heldOut.overall).padStart(6)}  (${pct(m.relativeToFull)} of full)`),
    ];
  },
};
