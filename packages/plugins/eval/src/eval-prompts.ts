import { readPromptRows, UsageError, type DataRow, type Engine } from '@aya-fw/core';
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

/** An evaluation prompt: its text, its language and every other column (`question_id`, `category`…). */
export type EvalPrompt = DataRow & { prompt: string; language: string };

/** Options of {@link readEvalPrompts}. */
export interface EvalPromptOptions {
  /** Keep only these languages. */
  readonly languages?: readonly string[];
  /** At most this many prompts per language, the first in file order. */
  readonly perLanguage?: number;
}

/**
 * Evaluation prompts from a data file (a `language` column, else `all`), or from a folder in
 * m-ArenaHard's layout: one folder or file per language (`de/test-00000-of-00001.parquet`,
 * `fr.jsonl`), whose name is the language of its rows (columns `question_id, category,
 * cluster, prompt`). Files are read through the dataset formats the engine knows.
 */
export async function readEvalPrompts(engine: Engine, path: string, options: EvalPromptOptions = {}): Promise<EvalPrompt[]> {
  const extensions = new Set(engine.registries.datasetFormats.list().flatMap((f) => f.extensions));
  const sources: { file: string; language?: string }[] = [];
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) {
        for (const f of readdirSync(full).sort()) if (extensions.has(extname(f))) sources.push({ file: join(full, f), language: name });
      } else if (extensions.has(extname(name))) {
        sources.push({ file: full, language: basename(name, extname(name)) });
      }
    }
    if (sources.length === 0) throw new UsageError(`${path}: no prompt files (expected one folder or file per language with ${[...extensions].join(', ')} files)`);
  } else {
    sources.push({ file: path });
  }
  const out: EvalPrompt[] = [];
  const counts = new Map<string, number>();
  for (const { file, language } of sources) {
    for (const row of await readPromptRows(engine, file)) {
      const lang = String(row.language ?? language ?? 'all');
      if (options.languages && !options.languages.includes(lang)) continue;
      const n = counts.get(lang) ?? 0;
      if (options.perLanguage !== undefined && n >= options.perLanguage) continue;
      counts.set(lang, n + 1);
      out.push({ ...row, language: lang });
    }
  }
  if (out.length === 0) throw new UsageError(`${path}: no prompts${options.languages ? ` in ${options.languages.join(', ')}` : ''}`);
  return out;
}
