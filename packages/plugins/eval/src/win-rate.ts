import { judgeContribution, openJudge, readJsonlFile, resolveInput, stageAnswers, z, type JudgeVerdict, type TrainerDefinition } from '@aya-fw/core';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapInterval, promptBattles, winRateOf } from './arena-score';
import { reportSvg, svgToPng, type Curve } from './chart';
import { readEvalPrompts } from './eval-prompts';

/** Options of the `win-rate` stage (and of `aya-fw eval winrate`). */
export const WinRateConfigSchema = z
  .object({
    /**
     * The models to compare, by display name: folders, `stage:<name>`, or remote models
     * `http://host:port/v1#name`; `{ model, baseline }` compares one with its own baseline
     * (a stage with the stage before it).
     */
    models: z
      .record(z.string(), z.union([z.string(), z.object({ model: z.string(), baseline: z.string() }).strict()]))
      .refine((m) => Object.keys(m).length > 0, 'expected at least one model'),
    baseline: z.string().optional().describe('The model the others are compared with, unless they name their own (same spellings).'),
    prompts: z.string().describe('Evaluation prompts (`prompt`, `language`, and the judge\'s columns), JSONL, JSON or Parquet, or an m-ArenaHard folder (one per language).'),
    judge: z.string().describe('Judge id, or an LLM judge\'s URL (`http://host:port/v1#name`, the `llm-pairwise` judge).'),
    judgeConfig: z.record(z.string(), z.unknown()).optional().describe('Options of the judge.'),
    positionSwap: z.boolean().default(true).describe('Judge both orders (Arena-Hard\'s two games per prompt); false judges only model-as-A.'),
    strongWeight: z.number().int().positive().default(3).describe('Battles a strong verdict (A>>B) counts for (Arena-Hard: 3).'),
    resamples: z.number().int().min(100).default(1000).describe('Bootstrap resamples of the 95% interval.'),
    languages: z.array(z.string()).min(1).optional().describe('Keep only these languages.'),
    promptsPerLanguage: z.number().int().positive().optional().describe('At most this many prompts per language.'),
    maxNewTokens: z.number().int().positive().default(32),
    batchSize: z.number().int().positive().default(32),
    title: z.string().default('aya-fw evaluation').describe('Report title.'),
  })
  .strict()
  .refine((c) => c.baseline !== undefined || Object.values(c.models).every((m) => typeof m !== 'string'), { message: 'give a baseline, or a { model, baseline } for every model', path: ['baseline'] });
export type WinRateConfig = z.infer<typeof WinRateConfigSchema>;

/** One model's win-rate in one group of prompts, with its bootstrap 95% interval. */
export interface GroupRate {
  readonly rate: number;
  readonly low: number;
  readonly high: number;
  /** Prompts scored (those where the judge gave a verdict in every game). */
  readonly prompts: number;
}

/** Whether a win-rate's interval contains ½: not distinguishable from a tie with the baseline. */
export const withinNoise = (g: GroupRate) => g.low <= 0.5 && g.high >= 0.5;

/** `62.5% [55.0, 70.0]`, with `≈` where the interval contains 50%. */
export const formatRate = (g: GroupRate) => (Number.isNaN(g.rate) ? 'n/a' : `${withinNoise(g) ? '≈' : ''}${(100 * g.rate).toFixed(1)}% [${(100 * g.low).toFixed(1)}, ${(100 * g.high).toFixed(1)}]`);

/**
 * `win-rate`: greedy completions of every model and of the baseline on held-out prompts, judged
 * pairwise as Arena-Hard-Auto does (both orders, strong verdicts weighted, ties half), per
 * language and overall, each with a bootstrap 95% interval. Writes `report.md`, `report.svg`,
 * `report.png` and `judgments.jsonl`.
 */
export const winRate: TrainerDefinition<WinRateConfig> = {
  id: 'win-rate',
  description: 'Pairwise judge win-rates against a baseline, per language, both orders, bootstrap 95% intervals; markdown + PNG report',
  configSchema: WinRateConfigSchema,
  contributions: (c) => [judgeContribution(c.judge, c.judgeConfig)],
  async run(ctx) {
    const c = ctx.config;
    const judge = openJudge(ctx.engine, c.judge, c.judgeConfig, `${ctx.stage}: judge`);
    const rows = await readEvalPrompts(ctx.engine, resolveInput(ctx, c.prompts, 'eval'), { languages: c.languages, perLanguage: c.promptsPerLanguage });
    const languages = [...new Set(rows.map((r) => r.language))].sort();
    const metrics: Record<string, number> = {};
    const table: Record<string, Record<string, GroupRate>> = {};
    const baselines: Record<string, string> = {};
    const examples: string[] = [];
    const judgments: object[] = [];
    try {
      const prompts = rows.map((r) => r.prompt);
      // Each model's answers once, however many comparisons it is in.
      const answers = new Map<string, Promise<string[]>>();
      const answersOf = (ref: string, label: string) => answers.get(ref) ?? answers.set(ref, stageAnswers(ctx, ref, prompts, label)).get(ref)!;
      for (const [name, entry] of Object.entries(c.models)) {
        const { model: ref, baseline: baselineRef } = typeof entry === 'string' ? { model: entry, baseline: c.baseline! } : entry;
        baselines[name] = baselineRef;
        const baselineLabel = baselineRef === c.baseline ? 'baseline' : baselineRef;
        const completions = await answersOf(ref, name);
        const baseline = await answersOf(baselineRef, baselineLabel);
        const items = (swap: boolean) => rows.map((r, i) => ({ prompt: r.prompt, a: swap ? baseline[i] : completions[i], b: swap ? completions[i] : baseline[i], row: r }));
        const game2 = await judge.compareMany(items(false));
        const game1: (JudgeVerdict | undefined)[] = c.positionSwap ? await judge.compareMany(items(true)) : rows.map(() => undefined);
        const groups = new Map<string, number[][]>();
        let dropped = 0;
        rows.forEach((r, i) => {
          const battles = promptBattles(game1[i], game2[i], c.strongWeight);
          judgments.push({ model: name, language: r.language, prompt: r.prompt, completion: completions[i], baseline: baseline[i], game1: game1[i] ?? null, game2: game2[i], battles });
          if (!battles) return void dropped++;
          for (const key of ['overall', r.language]) groups.set(key, [...(groups.get(key) ?? []), battles]);
          if (i < 3) examples.push(`| ${name} | ${r.prompt.trim()} | ${completions[i].trim()} | ${baseline[i].trim()} | ${game2[i] ?? 'none'}${c.positionSwap ? ` / swapped ${game1[i] ?? 'none'}` : ''} |`);
        });
        if (dropped) ctx.reporter.warn(`${ctx.stage}: ${name}: the judge gave no verdict on ${dropped} of ${rows.length} prompts; they are left out`);
        table[name] = {};
        for (const key of ['overall', ...languages]) {
          const prompts = groups.get(key) ?? [];
          const [low, high] = bootstrapInterval(prompts, { resamples: c.resamples, seed: ctx.seed });
          const g = (table[name][key] = { rate: winRateOf(prompts), low, high, prompts: prompts.length });
          metrics[key === 'overall' ? `winrate/${name}` : `winrate/${name}/${key}`] = g.rate;
        }
        metrics[`winrate/${name}/low`] = table[name].overall.low;
        metrics[`winrate/${name}/high`] = table[name].overall.high;
        ctx.reporter.info(`${ctx.stage}: ${name} vs ${baselineLabel}: ${formatRate(table[name].overall)} overall; ${languages.map((l) => `${l} ${(100 * table[name][l].rate).toFixed(0)}%`).join(', ')}`);
      }
    } finally {
      await judge.dispose();
    }
    const groups = ['overall', ...languages];
    const names = Object.keys(table);
    const own = Object.values(c.models).filter((m) => typeof m !== 'string');
    // A baseline column when some model names its own.
    const cells = (n: string) => [n, ...(own.length ? [baselines[n].replace(/^stage:/, '')] : []), ...groups.map((g) => formatRate(table[n][g]))];
    const head = ['model', ...(own.length ? ['baseline'] : []), ...groups];
    const md = [
      `# ${c.title}`,
      '',
      `Win-rate of each model against ${c.baseline && own.length === 0 ? `the baseline (${c.baseline})` : 'its baseline'} on ${rows.length} held-out prompts (${languages.map((l) => `${l} ${rows.filter((r) => r.language === l).length}`).join(', ')}), judged by \`${judge.id}\`${c.positionSwap ? ' in both orders' : ''}; ties count half${c.strongWeight > 1 ? `, strong verdicts ${c.strongWeight} battles` : ''}. In brackets: bootstrap 95% interval over prompts (${c.resamples} resamples); ≈ marks a rate whose interval contains 50% (within noise of the baseline).`,
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---').join('|')}|`,
      ...names.map((n) => `| ${cells(n).join(' | ')} |`),
      '',
      '## Training',
      '',
      ...Object.entries(ctx.previous).map(([stage, r]) => `- **${stage}**: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}`),
      '',
      '## Examples',
      '',
      '| model | prompt | completion | baseline | verdict (model as A / swapped) |',
      '|---|---|---|---|---|',
      ...examples,
      '',
      '![win-rates and training curves](report.png)',
      '',
    ].join('\n');
    // The model a stage trained is the series whose reference is `stage:<name>` (its panel takes that colour).
    const seriesOf = (stage: string) => Object.entries(c.models).find(([, m]) => (typeof m === 'string' ? m : m.model).split('/')[0] === `stage:${stage}`)?.[0];
    const curves: Curve[] = Object.entries(ctx.previous)
      .filter(([, r]) => r.artifacts?.metrics && existsSync(r.artifacts.metrics))
      .map(([stage, r]): Curve => {
        const rows = readJsonlFile<Record<string, number>>(r.artifacts!.metrics);
        const held = rows.filter((m) => typeof m.eval_loss === 'number').map((m) => [m.step, m.eval_loss] as [number, number]);
        return {
          title: `${stage}: ${held.length ? 'training and held-out loss' : 'training loss'}`,
          points: rows.filter((m) => typeof m.loss === 'number').map((m) => [m.step, m.loss] as [number, number]),
          eval: held,
          series: seriesOf(stage),
        };
      })
      .concat(
        // Online iterative stages: the mean reward of each iteration's samples.
        Object.entries(ctx.previous)
          .filter(([, r]) => r.artifacts?.iterations && existsSync(r.artifacts.iterations))
          .map(([stage, r]): Curve => {
            const rows = readJsonlFile<Record<string, number>>(r.artifacts!.iterations);
            const held = rows.filter((m) => typeof m.eval_reward_mean === 'number').map((m) => [m.iteration, m.eval_reward_mean] as [number, number]);
            return {
              title: `${stage}: ${held.length ? 'sample and held-out reward' : 'sample reward'} per iteration`,
              x: 'iteration',
              labels: ['samples', 'held-out'],
              series: seriesOf(stage),
              points: rows.filter((m) => typeof m.reward_mean === 'number').map((m) => [m.iteration, m.reward_mean] as [number, number]),
              eval: held,
            };
          }),
      );
    const svg = reportSvg(c.title, { groups, series: names.map((n) => ({ name: n, values: groups.map((g) => table[n][g].rate), intervals: groups.map((g) => [table[n][g].low, table[n][g].high] as [number, number]) })) }, curves);
    const artifacts: Record<string, string> = { report: join(ctx.outDir, 'report.md'), figure: join(ctx.outDir, 'report.svg') };
    writeFileSync(artifacts.report, md);
    writeFileSync((artifacts.judgments = join(ctx.outDir, 'judgments.jsonl')), judgments.map((j) => JSON.stringify(j)).join('\n') + '\n');
    writeFileSync(artifacts.figure, svg);
    const png = svgToPng(svg);
    if (png) writeFileSync((artifacts.png = join(ctx.outDir, 'report.png')), png);
    else ctx.reporter.warn(`${ctx.stage}: @resvg/resvg-js could not load; wrote report.svg only`);
    return { metrics, artifacts };
  },
};
