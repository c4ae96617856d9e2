import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInput, savePretrained, type TrainerDefinition } from '@aya-fw/core';
import { scatterSvg, svgToPng, type ScatterPoint } from '@aya-fw/plugin-eval';
import { MergeSearchConfigSchema, type MergeSearchConfig } from './config';
import { runMergeSearch, type Candidate, type SearchResult } from './search';

/** Share of a merge's weights of at least 1% (the paper: good merges are dense). */
export const nonzeroShare = (c: Candidate) => {
  const all = c.weights.flat();
  return all.filter((w) => w >= 0.01).length / all.length;
};

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'failed');

/** The report of a search: a table of the baselines, the best merge and the front, and the scatter of the first two scores. */
export function writeSearchReport(outDir: string, config: MergeSearchConfig, r: SearchResult): Record<string, string> {
  const bestSingle = r.singles.reduce((a, c) => (r.macro(c) > r.macro(a) ? c : a));
  const row = (c: Candidate, label = c.label) =>
    `| ${label} | ${c.scores.map(fmt).join(' | ')} | ${fmt(r.macro(c))} | ${(100 * nonzeroShare(c)).toFixed(0)}% | ${c.weights.map((g) => g.map((w) => w.toFixed(3)).join(' ')).join(' / ')} |`;
  const md = [
    `# ${config.title}`,
    '',
    `${config.pool.length} checkpoints, method \`${config.method}\`, genome ${config.genome.normalize}${config.genome.layerGroups > 1 ? `, ${config.genome.layerGroups} layer groups` : ''}${config.genome.density ? ', densities' : ''}; objective ${config.objective}; ${r.evaluations} merges evaluated (stopped: ${r.stops.join(', ')}).`,
    `Evaluators: ${r.names.map((n, j) => `\`${n}\` (${r.directions[j]} is better, weight ${config.evaluators[j].weight})`).join(', ')}. The macro-average negates lower-is-better scores.`,
    '',
    `| merge | ${r.names.join(' | ')} | macro-average | weights ≥ 1% | weights |`,
    `|---|${r.names.map(() => '---').join('|')}|---|---|---|`,
    ...r.singles.map((c) => row(c)),
    row(r.uniform),
    row(r.best),
    '',
    `Best merge against the best single checkpoint (${bestSingle.label}): ${r.macro(r.best) > r.macro(bestSingle) ? 'better' : 'not better'} on the macro-average (${fmt(r.macro(r.best))} vs ${fmt(r.macro(bestSingle))}); against the uniform soup: ${r.macro(r.best) > r.macro(r.uniform) ? 'better' : 'not better'} (${fmt(r.macro(r.uniform))}).`,
    '',
    `## Pareto front (${r.front.length} merges)`,
    '',
    `| merge | ${r.names.join(' | ')} | macro-average | weights ≥ 1% | weights |`,
    `|---|${r.names.map(() => '---').join('|')}|---|---|---|`,
    ...r.front.map((c, i) => row(c, `front ${i + 1}${c.label.startsWith('checkpoint') || c.label === 'uniform soup' ? ` (${c.label})` : ''}`)),
    '',
    ...(r.names.length >= 2 ? ['![scores of every merge](report.png)', ''] : []),
  ].join('\n');
  const artifacts: Record<string, string> = { report: join(outDir, 'report.md'), evaluations: join(outDir, 'evaluations.jsonl'), best: join(outDir, 'best-merge.json') };
  writeFileSync(artifacts.report, md);
  const scores = (c: Candidate) => Object.fromEntries(r.names.map((n, j) => [n, c.scores[j]]));
  writeFileSync(
    artifacts.best,
    JSON.stringify({ method: config.method, weights: r.best.weights, density: r.best.density, scores: scores(r.best), macroAverage: r.macro(r.best), front: r.front.map((c) => ({ label: c.label, weights: c.weights, density: c.density, scores: scores(c) })) }, null, 2) + '\n',
  );
  if (r.names.length >= 2) {
    const point = (c: Candidate, group: string, label?: string): ScatterPoint => ({ x: c.scores[0], y: c.scores[1], group, label });
    const points = [
      ...[...(r.front as Candidate[])].map((c) => point(c, 'Pareto front')),
      ...r.singles.map((c, i) => point(c, 'single checkpoints', String(i + 1))),
      point(r.uniform, 'uniform soup'),
      point(r.best, 'best macro-average'),
    ];
    const svg = scatterSvg(config.title, `${r.names[0]} (${r.directions[0]} is better)`, `${r.names[1]} (${r.directions[1]} is better)`, points, 'Pareto front');
    writeFileSync((artifacts.figure = join(outDir, 'report.svg')), svg);
    const png = svgToPng(svg);
    if (png) writeFileSync((artifacts.png = join(outDir, 'report.png')), png);
  }
  return artifacts;
}

/**
 * `merge-search`: CMA-ES over the merge weights of a checkpoint pool, scored by evaluators
 * (macro-average or a Pareto front); writes the best merge as a model folder and a report.
 */
export const mergeSearch: TrainerDefinition<MergeSearchConfig> = {
  id: 'merge-search',
  description: 'CMA-ES over merge weights of a checkpoint pool, scored by evaluators (macro-average or Pareto); best merge + report',
  configSchema: MergeSearchConfigSchema,
  contributions: (c) => [
    { kind: 'mergeMethods', id: c.method, idPath: ['method'] },
    ...c.evaluators.map((e, i) => ({ kind: 'evaluators' as const, id: e.id, idPath: ['evaluators', i, 'id'], config: e.config, configPath: ['evaluators', i, 'config'] })),
  ],
  async run(ctx) {
    const c = ctx.config;
    const result = await runMergeSearch(
      { engine: ctx.engine, reporter: ctx.reporter, stage: ctx.stage, outDir: ctx.outDir, seed: ctx.seed, resume: ctx.resume, resolve: (p, artifact) => resolveInput(ctx, p, artifact) },
      c,
    );
    try {
      const artifacts = writeSearchReport(ctx.outDir, c, result);
      const tokenizerFrom = existsSync(join(result.pool.dirs[0], 'tokenizer.json')) ? result.pool.dirs[0] : undefined;
      savePretrained(result.pool.model, (artifacts.model = join(ctx.outDir, 'best')), { tokenizerFrom, overwrite: true });
      if (c.writeFront) {
        result.front.forEach((f, i) => {
          result.pool.apply(ctx.engine, c.method, { weights: f.weights, density: f.density });
          savePretrained(result.pool.model, join(ctx.outDir, 'front', String(i + 1)), { tokenizerFrom, overwrite: true });
        });
      }
      const metrics: Record<string, number> = { evaluations: result.evaluations, front: result.front.length, 'best/macro': result.macro(result.best), 'uniform/macro': result.macro(result.uniform) };
      metrics['best-single/macro'] = Math.max(...result.singles.map(result.macro));
      result.names.forEach((n, j) => (metrics[`best/${n}`] = result.best.scores[j]));
      metrics['best/weights_nonzero_share'] = nonzeroShare(result.best);
      ctx.reporter.info(`${ctx.stage}: best merge ${result.macro(result.best).toFixed(4)} macro-average (best single ${metrics['best-single/macro'].toFixed(4)}, uniform soup ${metrics['uniform/macro'].toFixed(4)}); weights ${result.best.weights.map((g) => g.map((w) => w.toFixed(3)).join(' ')).join(' / ')}`);
      return { metrics, artifacts };
    } finally {
      result.pool.dispose();
    }
  },
};
