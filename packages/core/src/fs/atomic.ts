import { copyFileSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes text to a temporary file beside `file` and renames it into place. */
function writeTextAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes JSON to a temporary file beside `file` and renames it into place. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeTextAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes one JSON line per row to a temporary file beside `file` and renames it into place. */
export function writeJsonlAtomic(file: string, rows: readonly unknown[]): void {
  writeTextAtomic(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/**
 * Puts a completely written temporary folder at `dir`. An existing `dir` is moved aside first
 * and removed only once the new folder is in place, so at every moment `dir` is either the old
 * complete folder or the new one.
 */
export function commitFolder(tmp: string, dir: string): void {
  if (!existsSync(dir)) {
    renameSync(tmp, dir);
    return;
  }
  const old = `${tmp}-old`;
  rmSync(old, { recursive: true, force: true });
  renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Copies the files of `names` that exist in `from` into `to`. */
export function copyExisting(from: string, to: string, names: readonly string[]): void {
  for (const f of names) if (existsSync(join(from, f))) copyFileSync(join(from, f), join(to, f));
}
