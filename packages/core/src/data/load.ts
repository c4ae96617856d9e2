import { existsSync } from 'node:fs';
import type { Engine } from '../engine/engine';
import type { DataRow } from '../registry/contributions';
import { UsageError } from '../errors';
import { DataError, toExample, type ExampleKind, type SourcedExample } from './examples';

/** Options of {@link loadExamples}. */
export interface LoadExamplesOptions {
  readonly file: string;
  /** Dataset format id (default: by extension). */
  readonly format?: string;
  /** Count and report malformed rows instead of failing on the first (default false). */
  readonly skipBadRows?: boolean;
  /** Formats the trainer accepts; other rows are errors naming the row and the format found. */
  readonly kinds?: readonly ExampleKind[];
  /** Read at most this many rows. */
  readonly limit?: number;
}

/** What {@link loadExamples} read. */
export interface LoadedExamples {
  readonly examples: SourcedExample[];
  /** Rows skipped with `skipBadRows`, with why. */
  readonly skipped: { where: string; message: string }[];
}

/**
 * Reads a dataset through the engine's data stage and normalises every row to a TRL example.
 * A malformed row fails with `file:line` and the field at fault, or is counted with `skipBadRows`.
 */
export async function loadExamples(engine: Engine, options: LoadExamplesOptions): Promise<LoadedExamples> {
  if (!existsSync(options.file)) throw new UsageError(`${options.file}: no such data file`);
  const examples: SourcedExample[] = [];
  const skipped: { where: string; message: string }[] = [];
  for await (const record of engine.loadData({ file: options.file, format: options.format })) {
    if (options.limit !== undefined && examples.length >= options.limit) break;
    try {
      if (record.error || !record.row) throw new DataError(`${record.where}: ${record.error ?? 'empty row'}`);
      const example = toExample(record.row, record.where);
      if (options.kinds && !options.kinds.includes(example.kind)) {
        throw new DataError(`${record.where}: a ${example.kind} row, but this trainer takes ${options.kinds.join(' or ')} rows`);
      }
      examples.push({ example, row: record.row, where: record.where });
    } catch (err) {
      if (!(err instanceof DataError) || !options.skipBadRows) throw err;
      skipped.push({ where: record.where, message: err.message });
    }
  }
  if (examples.length === 0) throw new UsageError(`${options.file}: no usable rows${skipped.length ? ` (${skipped.length} skipped)` : ''}`);
  return { examples, skipped };
}

/**
 * The prompts of a dataset, read through the data stage: every row's text `prompt` with all its
 * columns (a judge's, `language`…). Rows may carry completions too (a dev set reused for
 * sampling or evaluation); a row without a text prompt is an error naming it.
 */
export async function readPromptRows(engine: Engine, file: string): Promise<(DataRow & { prompt: string })[]> {
  const { examples } = await loadExamples(engine, { file });
  return examples.map(({ row, where }) => {
    if (typeof row.prompt !== 'string') throw new DataError(`${where}: field 'prompt': expected text`);
    return row as DataRow & { prompt: string };
  });
}
