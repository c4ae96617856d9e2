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
 * under 1% of the base's parameters. Each mixture is compared with a single adapter of its
 * expert's size, as the paper compares MoV with IA3 and MoLoRA with LoRA of the experts' rank:
 * IA3 is MoV's single expert (its size fixed by the model), and `lora-r1` is one MoLoRA expert.
 * `lora-r6` is a single LoRA with as many parameters as the whole MoLoRA mixture (4 rank-1
 * experts and their router). MoLoRA's α is 2·n so that the soft merge of n experts (each
 * weighted ≈ 1/n at the start) begins at LoRA's effective scale (α/r = 2). Learning rates were
 * picked per method from {3e-3, 1e-2, 3e-2, 1e-1} on this setting.
 */
export const TOY_METHODS: readonly ToyMethod[] = [
  { id: 'full', learningRate: 1e-3 },
  { id: 'ia3', adapter: { type: 'ia3' }, learningRate: 1e-1 },
  { id: 'mov', adapter: { type: 'mov', numExperts: 4 }, learningRate: 1e-1 },
  { id: 'lora-r1', adapter: { type: 'lora', r: 1, loraAlpha: 2, targetModules: ['q_proj', 'v_proj'] }, learningRate: 1e-2 },
  { id: 'lora-r6', adapter: { type: 'lora', r: 6, loraAlpha: 12, targetModules: ['q_proj', 'v_proj'] }, learningRate: 1e-2 },
  { id: 'molora', adapter: { type: 'molora', numExperts: 4, r: 1, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'] }, learningRate: 1e-2 },
];

/** Steps, batch sizes and seeds of the reproduction. */
export interface ToyReproOptions {
  readonly pretrainSteps: number;
  readonly finetuneSteps: number;
  readonly batchSize: number;
  readonly heldOut: number;
  /** Independent runs (base pre-training included), seeds seed, seed + 10, …; scores are their means. */
  readonly runs: number;
  readonly methods: readonly ToyMethod[];
}

export const TOY_REPRO_DEFAULTS: ToyReproOptions = { pretrainSteps: 200, finetuneSteps: 200, batchSize: 64, heldOut: 2048, runs: 5, methods: TOY_METHODS };

export interface ToyMethodResult {
  readonly method: string;
  readonly trainable: number;
  readonly share: number;
  /** Held-out exact match per task and `overall`, the mean over runs. */
  readonly heldOut: Record<string, number>;
  /** The overall held-out exact match of each run. */
  readonly perRun: readonly number[];
  /** Mean overall score over full fine-tuning's. */
  readonly relativeToFull: number;
}

export interface MoeToyResult extends Record<string, unknown> {
  readonly seeds: readonly number[];
  readonly baseParameters: number;
  /** The pre-trained base on held-out inputs in its own format (markers) and in the new instruction format, means over runs. */
  readonly base: { readonly pretrainFormat: number; readonly instructionFormat: number };
  readonly methods: readonly ToyMethodResult[];
}

/** One run's scores: the base's in both formats and each method's per task. */
interface RunScores {
  readonly base: { readonly pretrainFormat: number; readonly instructionFormat: number };
  readonly baseParameters: number;
  readonly methods: readonly { readonly method: string; readonly trainable: number; readonly heldOut: Record<string, number> }[];
}

/**
 * Pre-trains a toy base, then instruction-tunes a copy of it with each method and scores the
 * exact match of held-out answers.
 */
async function runOnce(engine: Engine, seed: number, options: ToyReproOptions, log: (line: string) => void): Promise<RunScores> {
  const base = toyModel(seed);
  trainToy(engine, base, { stage: 'moe-toy/pretrain', steps: options.pretrainSteps, batchSize: options.batchSize, learningRate: 2e-3, format: 'pretrain', seed: seed + 1 });
  const heldOut = toyExamples(new Rng(seed + 2), options.heldOut, 'instruction', 'heldout');
  const baseScores = {
    pretrainFormat: exactMatch(base, toyExamples(new Rng(seed + 2), options.heldOut, 'pretrain', 'heldout')).overall,
    instructionFormat: exactMatch(base, heldOut).overall,
  };
  log(`seed ${seed}: base ${pct(baseScores.pretrainFormat)} with its pre-training markers, ${pct(baseScores.instructionFormat)} with the new instructions`);
  const snapshot = new Map([...base.namedParameters()].map(([name, v]) => [name, tf.clone(v)]));
  const baseParameters = [...snapshot.values()].reduce((n, t) => n + t.size, 0);
  base.dispose();
  const methods: RunScores['methods'][number][] = [];
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
        methods.push({ method: method.id, trainable, heldOut: scores });
        log(`seed ${seed}: ${method.id} held-out exact match ${pct(scores.overall)}`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    for (const t of snapshot.values()) t.dispose();
  }
  return { base: baseScores, baseParameters, methods };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * `options.runs` independent runs (seeds `seed`, `seed + 10`, …), each pre-training its own
 * base; every score is the mean over runs, with each run's overall score kept.
 */
export async function runMoeToy(engine: Engine, seed: number, options: ToyReproOptions = TOY_REPRO_DEFAULTS, log: (line: string) => void = () => {}): Promise<MoeToyResult> {
  const seeds = Array.from({ length: options.runs }, (_, i) => seed + 10 * i);
  const runs: RunScores[] = [];
  for (const s of seeds) runs.push(await runOnce(engine, s, options, log));
  const { baseParameters } = runs[0];
  const methods: ToyMethodResult[] = [];
  for (const [i, method] of options.methods.entries()) {
    const scores = runs.map((r) => r.methods[i]);
    const heldOut = Object.fromEntries(Object.keys(scores[0].heldOut).map((k) => [k, mean(scores.map((s) => s.heldOut[k]))]));
    const full = methods.find((m) => m.method === 'full');
    const trainable = scores[0].trainable;
    methods.push({ method: method.id, trainable, share: trainable / baseParameters, heldOut, perRun: scores.map((s) => s.heldOut.overall), relativeToFull: full ? heldOut.overall / full.heldOut.overall : 1 });
  }
  return {
    seeds,
    baseParameters,
    base: { pretrainFormat: mean(runs.map((r) => r.base.pretrainFormat)), instructionFormat: mean(runs.map((r) => r.base.instructionFormat)) },
    methods,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `aya-fw repro moe-toy`: the MoV paper's comparison on a generated multi-task instruction set. */
export const moeToy: ReproductionDefinition<MoeToyResult> = {
  id: 'moe-toy',
  description: 'MoV paper Table 1 at toy scale: full fine-tuning, IA3, MoV, LoRA, MoLoRA on a generated multi-task instruction set (5 runs)',
  async run({ engine, seed, reporter }) {
    return runMoeToy(engine, seed, TOY_REPRO_DEFAULTS, (line) => reporter.info(line));
  },
  summarize(result) {
    return [
      `means over seeds ${result.seeds.join(', ')}; base (${result.baseParameters.toLocaleString('en-US')} parameters): ${pct(result.base.pretrainFormat)} with pre-training markers, ${pct(result.base.instructionFormat)} with new instructions`,
      ...result.methods.map(
        (m) =>
          `${m.method.padEnd(8)} ${m.trainable.toLocaleString('en-US').padStart(9)} trainable ${(100 * m.share).toFixed(2).padStart(6)}%  held-out ${pct(m.heldOut.overall).padStart(6)}  (${pct(m.relativeToFull)} of full; runs ${m.perRun.map(pct).join(', ')})`,
      ),
    ];
  },
};
