import { generate, loadPretrained, readPromptRows, resolveInput, stopTokenIds, Tokenizer, z, type DataRow, type TrainerDefinition } from '@aya-fw/core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportSvg, svgToPng, type Curve } from './chart';

/** Options of the `win-rate` stage. */
export const WinRateConfigSchema = z
  .object({
    /** The models to compare, by display name: folders or `stage:<name>`. */
    models: z.record(z.string(), z.string()).refine((m) => Object.keys(m).length > 0, 'expected at least one model'),
    /** The model every other one is compared with. */
    baseline: z.string(),
    /** Evaluation prompts (`prompt`, `language`, and the judge's columns), JSONL, JSON or Parquet. */
    prompts: z.string(),
    judge: z.string(),
    maxNewTokens: z.number().int().positive().default(32),
    batchSize: z.number().int().positive().default(32),
    /** Report title. */
    title: z.string().default('aya-fw evaluation'),
  })
  .strict();
export type WinRateConfig = z.infer<typeof WinRateConfigSchema>;

type Row = DataRow & { prompt: string };

function greedyCompletions(dir: string, rows: readonly Row[], maxNewTokens: number, batchSize: number): string[] {
  const tokenizer = Tokenizer.fromPretrained(dir);
  const model = loadPretrained(dir, { trainable: false });
  const eos = stopTokenIds(model, tokenizer);
  try {
    const out: string[] = [];
    for (let i = 0; i < rows.length; i += batchSize) {
      const part = rows.slice(i, i + batchSize);
      const gen = generate(model, part.map((r) => tokenizer.encode(r.prompt)), { maxNewTokens, eosTokenIds: eos });
      out.push(...gen.tokens.map((t) => tokenizer.decode(t, { skipSpecialTokens: true })));
    }
    return out;
  } finally {
    model.dispose();
  }
}

/**
 * `win-rate`: greedy completions of every model and of the baseline on held-out prompts, judged
 * pairwise (ties count half), per language and overall. Writes `report.md`, `report.svg` and
 * `report.png` with the win-rates and the training curves of the run's earlier stages.
 */
export const winRate: TrainerDefinition<WinRateConfig> = {
  id: 'win-rate',
  description: 'Pairwise judge win-rates of models against a baseline, per language (ties half); markdown + PNG report',
  configSchema: WinRateConfigSchema,
  contributions: (c) => [{ kind: 'judges', id: c.judge, idPath: ['judge'] }],
  async run(ctx) {
    const c = ctx.config;
    const judge = ctx.engine.resolve('judges', c.judge);
    const file = resolveInput(ctx, c.prompts, 'eval');
    const rows = await readPromptRows(ctx.engine, file);
    const baseline = greedyCompletions(resolveInput(ctx, c.baseline, 'model'), rows, c.maxNewTokens, c.batchSize);
    const languages = [...new Set(rows.map((r) => String(r.language ?? 'all')))].sort();
    const metrics: Record<string, number> = {};
    const table: Record<string, Record<string, number>> = {};
    const examples: string[] = [];
    for (const [name, ref] of Object.entries(c.models)) {
      const completions = greedyCompletions(resolveInput(ctx, ref, 'model'), rows, c.maxNewTokens, c.batchSize);
      const points = new Map<string, number[]>();
      for (let i = 0; i < rows.length; i++) {
        const v = await judge.compare(rows[i].prompt, completions[i], baseline[i], rows[i]);
        const p = v === 'a' ? 1 : v === 'tie' ? 0.5 : 0;
        for (const key of ['overall', String(rows[i].language ?? 'all')]) points.set(key, [...(points.get(key) ?? []), p]);
        if (i < 3) examples.push(`| ${name} | ${rows[i].prompt.trim()} | ${completions[i].trim()} | ${baseline[i].trim()} | ${v} |`);
      }
      table[name] = {};
      for (const [key, ps] of points) {
        const rate = ps.reduce((a, b) => a + b, 0) / ps.length;
        table[name][key] = rate;
        metrics[key === 'overall' ? `winrate/${name}` : `winrate/${name}/${key}`] = rate;
      }
      ctx.reporter.info(`${ctx.stage}: ${name} vs baseline: ${(100 * table[name].overall).toFixed(1)}% overall; ${languages.map((l) => `${l} ${(100 * table[name][l]).toFixed(0)}%`).join(', ')}`);
    }
    const groups = ['overall', ...languages];
    const names = Object.keys(table);
    const md = [
      `# ${c.title}`,
      '',
      `Win-rate of each model against the baseline (${c.baseline}) on ${rows.length} held-out prompts, judged by \`${c.judge}\`; ties count half.`,
      '',
      `| model | ${groups.join(' | ')} |`,
      `|---|${groups.map(() => '---').join('|')}|`,
      ...names.map((n) => `| ${n} | ${groups.map((g) => `${(100 * table[n][g]).toFixed(1)}%`).join(' | ')} |`),
      '',
      '## Training',
      '',
      ...Object.entries(ctx.previous).map(([stage, r]) => `- **${stage}**: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}`),
      '',
      '## Examples',
      '',
      '| model | prompt | completion | baseline | verdict |',
      '|---|---|---|---|---|',
      ...examples,
      '',
      '![win-rates and training curves](report.png)',
      '',
    ].join('\n');
    const curves: Curve[] = Object.entries(ctx.previous)
      .filter(([, r]) => r.artifacts?.metrics && existsSync(r.artifacts.metrics))
      .map(([stage, r]) => ({
        title: `${stage}: training loss`,
        points: readFileSync(r.artifacts!.metrics, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).filter((m) => typeof m.loss === 'number').map((m) => [m.step, m.loss] as [number, number]),
      }));
    const svg = reportSvg(c.title, { groups, series: names.map((n) => ({ name: n, values: groups.map((g) => table[n][g]) })) }, curves);
    const artifacts: Record<string, string> = { report: join(ctx.outDir, 'report.md'), figure: join(ctx.outDir, 'report.svg') };
    writeFileSync(artifacts.report, md);
    writeFileSync(artifacts.figure, svg);
    const png = svgToPng(svg);
    if (png) writeFileSync((artifacts.png = join(ctx.outDir, 'report.png')), png);
    else ctx.reporter.warn(`${ctx.stage}: @resvg/resvg-js could not load; wrote report.svg only`);
    return { metrics, artifacts };
  },
};
