import { isRemoteModel } from '../remote/remote-model';
import { join, resolve } from 'node:path';
import { loadExamples } from '../data/load';
import type { ExampleKind, SourcedExample } from '../data/examples';
import type { TrainingLoopResult, TrainingLoopSpec } from './loop';
import { UsageError } from '../errors';
import type { DataRow, TrainerContext, TrainerResult } from '../registry/contributions';
import { Rng } from '../random/rng';
import { z } from 'zod';

/**
 * A model or data path from a trainer's options: `stage:<name>` names an artifact of an earlier
 * recipe stage (its `model`, or the artifact named after a slash: `stage:pairs/data`); anything
 * else is a path relative to the recipe's folder (or the working directory).
 */
export function resolveInput(ctx: TrainerContext<unknown>, value: string, artifact: string): string {
  if (!value.startsWith('stage:')) return resolve(ctx.baseDir, value);
  const [stage, name = artifact] = value.slice('stage:'.length).split('/');
  const result = ctx.previous[stage];
  if (!result) throw new UsageError(`${ctx.stage}: '${value}' names stage '${stage}', which has not run before this one (earlier: ${Object.keys(ctx.previous).join(', ') || 'none'})`);
  const path = result.artifacts?.[name];
  if (!path) throw new UsageError(`${ctx.stage}: stage '${stage}' has no '${name}' output (it has: ${Object.keys(result.artifacts ?? {}).join(', ') || 'none'})`);
  return path;
}

/** A model reference: a remote model's URL (`http://host/v1#name`) as written, else as {@link resolveInput}. */
export function resolveModelRef(ctx: TrainerContext<unknown>, value: string): string {
  return isRemoteModel(value) ? value : resolveInput(ctx, value, 'model');
}

/** A seeded split: `share` of the items (at least one, when there are two or more) held out. */
export function splitHeldOut<T>(items: readonly T[], share: number, seed: number): { train: T[]; held: T[] } {
  if (share <= 0 || items.length < 2) return { train: [...items], held: [] };
  const order = new Rng(seed ^ 0x5eed).permutation(items.length);
  const n = Math.max(1, Math.round(share * items.length));
  return { train: order.slice(n).map((i) => items[i]), held: order.slice(0, n).map((i) => items[i]) };
}

/** Means of `value` overall and per `language` column (`loss`, `loss/en`…). */
export function meansByLanguage<T>(items: readonly T[], value: (t: T) => number, language: (t: T) => unknown, name: string): Record<string, number> {
  const groups = new Map<string, number[]>();
  const all: number[] = [];
  for (const t of items) {
    const v = value(t);
    all.push(v);
    const lang = language(t);
    if (typeof lang === 'string') groups.set(lang, [...(groups.get(lang) ?? []), v]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out: Record<string, number> = { [name]: mean(all) };
  for (const [lang, xs] of [...groups].sort()) out[`${name}/${lang}`] = mean(xs);
  return out;
}

/** Rows of a training file in the accepted TRL formats; skipped malformed rows are reported once. */
export async function readTrainingRows(
  ctx: TrainerContext<unknown>,
  file: string,
  kinds: readonly ExampleKind[],
  options: { readonly skipBadRows: boolean; readonly languages?: readonly string[] },
): Promise<SourcedExample[]> {
  const { examples, skipped } = await loadExamples(ctx.engine, { file, kinds, skipBadRows: options.skipBadRows });
  if (skipped.length) ctx.reporter.warn(`${file}: skipped ${skipped.length} malformed rows (first: ${skipped[0].message})`);
  return inLanguages(ctx, file, examples, (e) => e.row, options.languages);
}

/**
 * The items whose row's `language` column is one of `languages` (all of them without a list),
 * logged as "N of M rows of FILE are in …"; a list no row matches is a usage error naming `file`.
 */
export function inLanguages<T>(ctx: TrainerContext<unknown>, file: string, items: T[], row: (item: T) => DataRow, languages: readonly string[] | undefined): T[] {
  if (!languages) return items;
  const kept = items.filter((item) => languages.includes(String(row(item).language)));
  if (!kept.length) throw new UsageError(`${ctx.stage}: ${file} has no rows whose 'language' is one of ${languages.join(', ')}`);
  ctx.reporter.info(`${ctx.stage}: ${kept.length} of ${items.length} rows of ${file} are in ${languages.join(', ')}`);
  return kept;
}

/** What a trainer built on the loop returns: final loss, steps, `eval_`-prefixed metrics, the model and the metrics log. */
export function loopTrainerResult(result: TrainingLoopResult, outDir: string): TrainerResult {
  return {
    metrics: { ...finite({ train_loss: result.loss }), steps: result.steps, ...Object.fromEntries(Object.entries(result.evalMetrics).map(([k, v]) => [`eval_${k}`, v])) },
    artifacts: {
      model: result.modelDir,
      // With an adapter, `model` is the frozen base and the trained weights are the adapter's folder.
      ...Object.fromEntries(Object.entries(result.adapterDirs ?? {}).map(([name, dir]) => [name === 'default' ? 'adapter' : `adapter/${name}`, dir])),
      metrics: join(outDir, 'metrics.jsonl'),
    },
  };
}

/** The entries of `values` that are finite numbers: a loss never computed (NaN) is left out, not reported. */
export function finite(values: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

/** The fields of a training-loop spec that come straight from the trainer's context. */
export function loopContext(ctx: TrainerContext<unknown>): Pick<TrainingLoopSpec<unknown>, 'engine' | 'stage' | 'outDir' | 'seed' | 'resume'> {
  return { engine: ctx.engine, stage: ctx.stage, outDir: ctx.outDir, seed: ctx.seed, resume: ctx.resume };
}

/** A trainer's `data:`: one file (or `stage:<name>[/<output>]`), or a list of them read one after another. */
export const DataFilesSchema = z.union([z.string(), z.array(z.string()).min(1)]);

/** Training and held-out items: `evalData` when given, else a seeded `evalSplit` of `data` (every file of a list, in order). */
export async function trainAndHeldOut<T>(
  ctx: TrainerContext<unknown>,
  config: { readonly data: string | readonly string[]; readonly evalData?: string; readonly evalSplit: number },
  read: (file: string) => Promise<T[]>,
): Promise<{ train: T[]; held: T[] }> {
  const all: T[] = [];
  for (const file of typeof config.data === 'string' ? [config.data] : config.data) all.push(...(await read(resolveInput(ctx, file, 'data'))));
  if (config.evalData) return { train: all, held: await read(resolveInput(ctx, config.evalData, 'data')) };
  return splitHeldOut(all, config.evalSplit, ctx.seed);
}
