import { planStage, readJsonlFile, runStages, type Engine, type ReproductionDefinition, type Reporter } from '@aya-fw/core';
import ayaToy from '@aya-fw/plugin-aya-toy';
import { svgToPng } from '@aya-fw/plugin-eval';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from './curves-chart';

/** The methods compared, each with the same number of sampled completions per step. */
export const BACK_TO_BASICS_METHODS = {
  'vanilla-pg': { trainer: 'reinforce', with: { baseline: 'none', numGenerations: 1 } },
  'reinforce-ma': { trainer: 'reinforce', with: { baseline: 'moving-average', numGenerations: 1 } },
  'rloo-k2': { trainer: 'rloo', with: { numGenerations: 2 } },
  'rloo-k4': { trainer: 'rloo', with: { numGenerations: 4 } },
  'grpo-k4': { trainer: 'grpo', with: { numGenerations: 4 } },
} as const;
export type BackToBasicsMethod = keyof typeof BACK_TO_BASICS_METHODS;

/** Sizes of the reproduction. */
export interface BackToBasicsOptions {
  readonly seeds: readonly number[];
  /** SFT epochs over the world's noisy demonstrations: a policy that is good, not perfect. */
  readonly sftEpochs: number;
  /** Generation batches of each RL run. */
  readonly steps: number;
  /** Completions sampled per batch, the same for every method. */
  readonly generationBatchSize: number;
  readonly maxNewTokens: number;
  readonly learningRate: number;
  /** KL coefficient: in the reward for REINFORCE and RLOO, k3 in the loss for GRPO. */
  readonly beta: number;
}

export const BACK_TO_BASICS_SIZES: Readonly<Record<'full' | 'reduced', BackToBasicsOptions>> = {
  full: { seeds: [0, 1, 2, 3], sftEpochs: 8, steps: 120, generationBatchSize: 16, maxNewTokens: 16, learningRate: 1e-4, beta: 0.05 },
  reduced: { seeds: [0, 1], sftEpochs: 8, steps: 120, generationBatchSize: 16, maxNewTokens: 16, learningRate: 1e-4, beta: 0.05 },
};

/** One method's figures, means over seeds (and each seed's). */
export interface MethodResult {
  /** Mean reward of greedy completions on held-out prompts (toy score 0–3) after RL. */
  readonly finalReward: number;
  readonly finalRewards: readonly number[];
  /** Standard error of that mean over the seeds. */
  readonly finalRewardSe: number;
  /** Mean training-batch reward over the last quarter of the steps. */
  readonly lateSampleReward: number;
  /** Mean sequence KL Σ log(π/π_ref) of the sampled completions over the last quarter. */
  readonly kl: number;
  /** Training-batch reward (smoothed) where the run's KL first reaches the common KL level. */
  readonly rewardAtEqualKl: number | null;
  /** Smoothed batch reward against samples seen, mean over seeds. */
  readonly curve: readonly (readonly [number, number])[];
}

export interface BackToBasicsResult extends Record<string, unknown> {
  readonly options: BackToBasicsOptions;
  /** Held-out greedy reward of the SFT policy every method starts from (mean over seeds). */
  readonly sftReward: number;
  readonly methods: Readonly<Record<BackToBasicsMethod, MethodResult>>;
  /** The KL level the equal-KL rewards are read at. */
  readonly equalKl: number;
  /** The paper's ordering on the final held-out reward: RLOO (best k) ≥ REINFORCE-MA > vanilla PG. */
  readonly ordering: { readonly rlooAtLeastReinforce: boolean; readonly reinforceAboveVanilla: boolean };
  readonly report?: string;
  readonly figure?: string;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

function standardError(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
}

function smooth(values: readonly number[], window = 5): number[] {
  return values.map((_, i) => mean(values.slice(Math.max(0, i - window + 1), i + 1)));
}

function initialEvalReward(file: string): number {
  const first = readJsonlFile<Record<string, number>>(file).find((r) => r.step === 0 && 'eval_reward' in r);
  return first?.eval_reward ?? NaN;
}

interface RunCurves {
  readonly reward: number[];
  readonly kl: number[];
}

function readCurves(file: string): RunCurves {
  const rows = readJsonlFile<Record<string, number>>(file).filter((r) => 'reward' in r && r.step > 0);
  return { reward: rows.map((r) => r.reward), kl: rows.map((r) => r.kl) };
}

/**
 * "Back to Basics" (Ahmadian et al. 2024) on the toy world: an SFT policy, then vanilla policy
 * gradient, REINFORCE with a moving-average baseline, RLOO with k = 2 and 4, and GRPO (k = 4), each
 * with the same completions per step and the toy world's programmatic reward (0–3), several seeds.
 */
export async function runBackToBasics(engine: Engine, reporter: Reporter, outDir: string, o: BackToBasicsOptions): Promise<BackToBasicsResult> {
  if (!engine.registries.trainers.has('toy-world')) engine.use(ayaToy);
  const methods = Object.keys(BACK_TO_BASICS_METHODS) as BackToBasicsMethod[];
  const sft: number[] = [];
  const runs = new Map<BackToBasicsMethod, { final: number[]; curves: RunCurves[] }>(methods.map((m) => [m, { final: [], curves: [] }]));
  for (const seed of o.seeds) {
    const dir = join(outDir, `seed-${seed}`);
    const plan = (name: string, trainer: string, options: Record<string, unknown>, earlier: string[]) =>
      planStage(engine, name, trainer, options, { where: `back-to-basics (seed ${seed}) ${name}`, earlier, outDir: join(dir, name) });
    const rl = (method: BackToBasicsMethod) => {
      const m = BACK_TO_BASICS_METHODS[method];
      return plan(method, m.trainer, {
        model: 'stage:sft',
        prompts: 'stage:world/prompts',
        evalPrompts: 'stage:world/eval',
        rewards: [{ function: 'toy-reward' }],
        maxSteps: o.steps,
        generationBatchSize: o.generationBatchSize,
        maxNewTokens: o.maxNewTokens,
        optimizer: 'adam',
        optimizerConfig: { learningRate: o.learningRate },
        ...(m.trainer === 'grpo' ? { lossConfig: { beta: o.beta } } : { beta: o.beta }),
        ...m.with,
      }, ['world', 'sft']);
    };
    const planned = [
      plan('world', 'toy-world', {}, []),
      plan('sft', 'sft', { model: 'stage:world', data: 'stage:world/data', epochs: o.sftEpochs, batchSize: 32, maxLength: 96, optimizerConfig: { learningRate: 0.003, weightDecay: 0 }, schedule: { type: 'cosine', warmupSteps: 20 }, evalSplit: 0 }, ['world']),
      ...methods.map(rl),
    ];
    reporter.info(`back-to-basics: seed ${seed}: SFT, then ${methods.join(', ')}`);
    const result = await runStages(engine, { name: `back-to-basics-${seed}`, outDir: dir, seed, backend: 'current' }, planned, { baseDir: dir });
    // Every RL run evaluates its starting point, the SFT policy, before its first update.
    sft.push(initialEvalReward(join(dir, methods[0], 'metrics.jsonl')));
    for (const m of methods) {
      runs.get(m)!.final.push(result.stages[m].metrics.eval_reward);
      runs.get(m)!.curves.push(readCurves(join(dir, m, 'metrics.jsonl')));
    }
  }
  const late = (xs: readonly number[]) => mean(xs.slice(Math.floor((3 * xs.length) / 4)));
  const averaged = (curves: RunCurves[], key: keyof RunCurves) => curves[0][key].map((_, i) => mean(curves.map((c) => c[key][i])));
  const klCurves = new Map(methods.map((m) => [m, smooth(averaged(runs.get(m)!.curves, 'kl'))]));
  const rewardCurves = new Map(methods.map((m) => [m, smooth(averaged(runs.get(m)!.curves, 'reward'))]));
  // The common KL level: the largest KL every method with the KL in its reward reaches (GRPO keeps
  // its k3 term in the loss and stays near the reference; it gets a figure only if it gets there).
  const equalKl = Math.min(...methods.filter((m) => BACK_TO_BASICS_METHODS[m].trainer !== 'grpo').map((m) => Math.max(...klCurves.get(m)!)));
  const results = Object.fromEntries(
    methods.map((m) => {
      const r = runs.get(m)!;
      const kl = klCurves.get(m)!;
      const reward = rewardCurves.get(m)!;
      const at = kl.findIndex((k) => k >= equalKl);
      return [
        m,
        {
          finalReward: mean(r.final),
          finalRewards: r.final,
          finalRewardSe: standardError(r.final),
          lateSampleReward: mean(r.curves.map((c) => late(c.reward))),
          kl: mean(r.curves.map((c) => late(c.kl))),
          rewardAtEqualKl: at >= 0 ? reward[at] : null,
          curve: reward.map((v, i) => [(i + 1) * o.generationBatchSize, v] as const),
        } satisfies MethodResult,
      ];
    }),
  ) as unknown as Record<BackToBasicsMethod, MethodResult>;
  const rloo = Math.max(results['rloo-k2'].finalReward, results['rloo-k4'].finalReward);
  const ordering = { rlooAtLeastReinforce: rloo >= results['reinforce-ma'].finalReward, reinforceAboveVanilla: results['reinforce-ma'].finalReward > results['vanilla-pg'].finalReward };
  const result: BackToBasicsResult = { options: o, sftReward: mean(sft), methods: results, equalKl, ordering };
  mkdirSync(outDir, { recursive: true });
  const report = join(outDir, 'report.md');
  writeFileSync(report, summarizeBackToBasics(result).join('\n') + '\n');
  const svg = lineChartSvg('Back to Basics on the toy world: reward of sampled completions', 'completions sampled', 'toy reward (0–3), moving mean of 5 batches', methods.map((m) => ({ name: m, points: results[m].curve })));
  const png = svgToPng(svg);
  const figure = join(outDir, png ? 'reward-vs-samples.png' : 'reward-vs-samples.svg');
  writeFileSync(figure, png ?? svg);
  writeFileSync(join(outDir, 'result.json'), JSON.stringify({ ...result, report, figure }, null, 2) + '\n');
  return { ...result, report, figure };
}

/** The table and the verdict on the paper's ordering. */
export function summarizeBackToBasics(r: BackToBasicsResult): string[] {
  const f = (x: number | null, d = 3) => (x === null ? '–' : x.toFixed(d));
  const lines = [
    `# Back to Basics on the toy world (${r.options.seeds.length} seeds, ${r.options.steps} batches of ${r.options.generationBatchSize} completions)`,
    '',
    `SFT policy, held-out greedy reward: ${f(r.sftReward)} (toy score 0–3).`,
    '',
    `| method | held-out reward, mean ± s.e. | per seed | sampled reward, last quarter | KL to the reference | sampled reward at KL ${f(r.equalKl, 2)} |`,
    '|---|---|---|---|---|---|',
  ];
  for (const [m, x] of Object.entries(r.methods)) {
    lines.push(`| ${m} | ${f(x.finalReward)} ± ${f(x.finalRewardSe)} | ${x.finalRewards.map((v) => f(v, 2)).join(', ')} | ${f(x.lateSampleReward)} | ${f(x.kl, 2)} | ${f(x.rewardAtEqualKl)} |`);
  }
  lines.push('');
  lines.push(`The paper's ordering RLOO ≥ REINFORCE-MA > vanilla PG: RLOO ≥ REINFORCE-MA ${r.ordering.rlooAtLeastReinforce ? 'holds' : 'does not hold'}; REINFORCE-MA > vanilla PG ${r.ordering.reinforceAboveVanilla ? 'holds' : 'does not hold'} (held-out reward, mean over seeds).`);
  const spread = Math.max(...Object.values(r.methods).map((x) => x.finalReward)) - Math.min(...Object.values(r.methods).map((x) => x.finalReward));
  const se = Math.max(...Object.values(r.methods).map((x) => x.finalRewardSe));
  lines.push(`All methods lie within ${f(spread, 2)} of each other, ${spread < 2 * se ? 'less than two standard errors' : 'more than two standard errors'} (${f(se, 2)}): ${spread < 2 * se ? 'the differences between methods are within seed noise at this scale' : 'the differences exceed the seed noise'}.`);
  if (r.figure) lines.push('', `Figure: ${r.figure}`);
  return lines;
}

/** `aya-fw repro back-to-basics`: needs the `sft` trainer and the `adam` optimizer (aya-fw's default plugins). */
export const backToBasics: ReproductionDefinition<BackToBasicsResult> = {
  id: 'back-to-basics',
  description: 'Back to Basics (REINFORCE/RLOO): vanilla PG, REINFORCE-MA, RLOO k=2/4 and GRPO on the toy world, several seeds',
  run: (ctx) => {
    const size = BACK_TO_BASICS_SIZES[ctx.size ?? 'full'];
    return runBackToBasics(ctx.engine, ctx.reporter, ctx.outDir ?? join('runs', 'repro-back-to-basics'), { ...size, seeds: size.seeds.map((s) => s + ctx.seed) });
  },
  summarize: summarizeBackToBasics,
};
