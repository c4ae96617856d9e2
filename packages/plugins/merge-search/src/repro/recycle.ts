import { fitSequences, initModel, loadPretrained, parseModelConfig, savePretrained, type Engine, type PretrainedModel, type ReproductionDefinition } from '@aya-fw/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MergeSearchConfigSchema } from '../config';
import { dominates } from '../pareto';
import { runMergeSearch, type Candidate } from '../search';
import { nonzeroShare, writeSearchReport } from '../trainer';
import { RECYCLE_MODEL_CONFIG, RECYCLE_TASKS, taskExample, type RecycleTask } from './tasks';

/** The pool: six fine-tunes of one base on different task mixtures and learning rates. */
export const RECYCLE_POOL: readonly { readonly tasks: readonly RecycleTask[]; readonly learningRate: number }[] = [
  { tasks: ['first'], learningRate: 3e-3 },
  { tasks: ['last'], learningRate: 3e-3 },
  { tasks: ['max'], learningRate: 3e-3 },
  { tasks: ['first', 'last'], learningRate: 2e-3 },
  { tasks: ['last', 'max'], learningRate: 2e-3 },
  { tasks: ['first', 'max'], learningRate: 2e-3 },
];

/** Sizes of the reproduction: `full` from the CLI, `reduced` in the test suite (same claims). */
export const RECYCLE_SIZES = {
  full: { baseSteps: 120, finetuneSteps: 60, batchSize: 32, seeds: 3, macroEvaluations: 200, paretoEvaluations: 240, sweeps: 4 },
  reduced: { baseSteps: 120, finetuneSteps: 60, batchSize: 32, seeds: 1, macroEvaluations: 120, paretoEvaluations: 120, sweeps: 4 },
} as const;

function train(engine: Engine, model: PretrainedModel, tasks: readonly RecycleTask[], steps: number, learningRate: number, batchSize: number, seed: number, stage: string): void {
  fitSequences(engine, model, { stage, steps, learningRate, seed, batch: (rng) => Array.from({ length: batchSize }, (_, i) => taskExample(rng, tasks[i % tasks.length], 'train')) });
}

/** One seed's outcome. */
export interface RecycleSeedResult {
  readonly seed: number;
  readonly singles: number[];
  readonly bestSingle: number;
  readonly uniform: number;
  readonly best: number;
  readonly bestScores: Record<string, number>;
  readonly bestWeights: number[];
  readonly nonzeroShare: number;
  readonly frontSize: number;
  /** Single checkpoints that no merge of the Pareto search dominates. */
  readonly undominatedSingles: number;
  readonly evaluations: number;
}

export interface RecycleResult extends Record<string, unknown> {
  readonly size: string;
  readonly seeds: readonly RecycleSeedResult[];
  readonly claims: {
    readonly beatsBestSingle: string;
    readonly beatsUniformSoup: string;
    readonly frontDominatesSingles: string;
    readonly denseMerges: string;
  };
}

/**
 * `aya-fw repro recycle`: "If You Can't Use Them, Recycle Them" at toy scale. A base is trained on
 * three tasks, six checkpoints are fine-tuned from it on different mixtures; CMA-ES searches the
 * linear merge weights for the macro-average of the three held-out exact matches, and a Pareto
 * search (scalarisation sweeps) over the same scores. Checks: the optimised merge beats the best
 * single checkpoint and the uniform soup, the front dominates every single checkpoint, and the
 * best merges are dense.
 */
export const recycle: ReproductionDefinition<RecycleResult> = {
  id: 'recycle',
  description: "'Recycle Them' at toy scale: CMA-ES merge weights over 6 checkpoints beat the best single and the soup; Pareto front",
  async run(ctx) {
    const size = ctx.size ?? 'full';
    const s = RECYCLE_SIZES[size];
    const out = resolve(ctx.outDir ?? 'runs/repro-recycle');
    const seeds: RecycleSeedResult[] = [];
    for (let k = 0; k < s.seeds; k++) {
      const seed = ctx.seed + k;
      const dir = join(out, `seed-${seed}`);
      ctx.reporter.info(`recycle: seed ${seed}: training the base and ${RECYCLE_POOL.length} checkpoints`);
      const base = initModel(parseModelConfig(RECYCLE_MODEL_CONFIG), { seed: 100 + seed });
      train(ctx.engine, base, RECYCLE_TASKS, s.baseSteps, 3e-3, s.batchSize, 1000 + seed, 'base');
      savePretrained(base, join(dir, 'base'), { overwrite: true });
      base.dispose();
      const pool = RECYCLE_POOL.map((p, i) => {
        const m = loadPretrained(join(dir, 'base'));
        train(ctx.engine, m, p.tasks, s.finetuneSteps, p.learningRate, s.batchSize, 2000 + 10 * seed + i, `checkpoint-${i + 1}`);
        const path = join(dir, 'pool', String(i + 1));
        savePretrained(m, path, { overwrite: true });
        m.dispose();
        return path;
      });
      const evaluators = RECYCLE_TASKS.map((task) => ({ id: 'recycle-task', name: task, config: { task, examples: 256, seed: 7 } }));
      const search = (objective: 'macro-average' | 'pareto', maxEvaluations: number, name: string) => {
        const config = MergeSearchConfigSchema.parse({ pool, evaluators, objective, maxEvaluations, sweeps: s.sweeps, title: `recycle seed ${seed}: ${objective}` });
        const outDir = join(dir, name);
        mkdirSync(outDir, { recursive: true });
        return runMergeSearch({ engine: ctx.engine, reporter: ctx.reporter, stage: `recycle ${name}`, outDir, seed, resolve: (p) => p }, config).then((r) => {
          writeSearchReport(outDir, config, r);
          r.pool.dispose();
          return r;
        });
      };
      const macro = await search('macro-average', s.macroEvaluations, 'macro');
      const pareto = await search('pareto', s.paretoEvaluations, 'pareto');
      const merges = pareto.front.filter((c) => !c.label.startsWith('checkpoint'));
      const undominated = pareto.singles.filter((single) => !merges.some((m: Candidate) => dominates(m.scores, single.scores))).length;
      const singles = macro.singles.map(macro.macro);
      seeds.push({
        seed,
        singles,
        bestSingle: Math.max(...singles),
        uniform: macro.macro(macro.uniform),
        best: macro.macro(macro.best),
        bestScores: Object.fromEntries(macro.names.map((n, j) => [n, macro.best.scores[j]])),
        bestWeights: macro.best.weights[0],
        nonzeroShare: nonzeroShare(macro.best),
        frontSize: pareto.front.length,
        undominatedSingles: undominated,
        evaluations: macro.evaluations + pareto.evaluations,
      });
    }
    const all = (f: (r: RecycleSeedResult) => boolean) => `${seeds.filter(f).length}/${seeds.length} seeds`;
    const result: RecycleResult = {
      size,
      seeds,
      claims: {
        beatsBestSingle: all((r) => r.best > r.bestSingle),
        beatsUniformSoup: all((r) => r.best > r.uniform),
        frontDominatesSingles: all((r) => r.undominatedSingles === 0),
        denseMerges: all((r) => r.nonzeroShare >= 0.5),
      },
    };
    writeFileSync(join(out, 'summary.json'), JSON.stringify(result, null, 2) + '\n');
    return result;
  },
  summarize(r) {
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    return [
      `recycle (${r.size}): macro-average exact match over ${RECYCLE_TASKS.join(', ')}`,
      ...r.seeds.map((x) => `  seed ${x.seed}: best merge ${pct(x.best)} · best single ${pct(x.bestSingle)} · uniform soup ${pct(x.uniform)} · weights ≥ 1%: ${pct(x.nonzeroShare)} (${x.bestWeights.map((w) => w.toFixed(2)).join(' ')}) · front ${x.frontSize}, singles not dominated ${x.undominatedSingles}`),
      `  claims: beats the best single ${r.claims.beatsBestSingle}; beats the uniform soup ${r.claims.beatsUniformSoup}; front dominates every single ${r.claims.frontDominatesSingles}; dense ${r.claims.denseMerges}`,
    ];
  },
};
