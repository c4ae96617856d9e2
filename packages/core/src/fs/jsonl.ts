import { readFileSync } from 'node:fs';

/** The rows of a JSONL file aya-fw wrote itself (a run's metrics, chunks, logs); blank lines are skipped. */
export function readJsonlFile<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
