import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors';

/** What a run may do with an output folder that already holds files. */
export interface RunFolderOptions {
  /** Continue the run whose files are there. */
  readonly resume?: boolean;
  /** Delete what is there first (only a folder that holds an aya-fw run). */
  readonly overwrite?: boolean;
}

/** Files that mark a folder (or one of its stage folders) as an aya-fw run's. */
const RUN_MARKERS = ['run.json', 'fingerprint.json', 'metrics.jsonl', 'checkpoints'];

/**
 * Makes `outDir` ready for a training run: a missing or empty folder is used as is; one that holds
 * files is refused (an earlier run's checkpoints would mix with this one's and be resumed later)
 * unless `resume` continues it or `overwrite` replaces it. `overwrite` deletes only a folder that
 * holds an aya-fw run, never a folder of other files (`--out .`).
 */
export function claimRunFolder(outDir: string, options: RunFolderOptions): void {
  const entries = existsSync(outDir) ? readdirSync(outDir) : [];
  if (!holdsResults(outDir) || options.resume) {
    mkdirSync(outDir, { recursive: true });
    return;
  }
  if (!options.overwrite) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new UsageError(`${outDir} already holds files (${shown}); pass --resume to continue that run, --overwrite to replace it, or choose another --out`);
  }
  if (!isRunFolder(outDir, entries)) throw new UsageError(`${outDir} holds files that are not an aya-fw run's; --overwrite deletes only run folders, so choose another --out`);
  if (resolve(outDir) === resolve(process.cwd()) || resolve(process.cwd()).startsWith(resolve(outDir) + '/')) throw new UsageError(`${outDir} contains the working directory; --overwrite will not delete it`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
}

/**
 * Whether `dir` holds anything a run wrote besides its fingerprints (a run that failed before its
 * first step leaves only those, and an empty folder is free too).
 */
function holdsResults(dir: string, depth = 0): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((name) => {
    const stat = statSync(join(dir, name), { throwIfNoEntry: false });
    if (stat?.isDirectory()) return depth >= 2 || holdsResults(join(dir, name), depth + 1);
    return name !== 'fingerprint.json';
  });
}

function isRunFolder(dir: string, entries: readonly string[]): boolean {
  if (entries.some((e) => RUN_MARKERS.includes(e))) return true;
  // A recipe's run: markers one level down, in its stage folders.
  return entries.some((e) => {
    const sub = join(dir, e);
    return statSync(sub, { throwIfNoEntry: false })?.isDirectory() && RUN_MARKERS.some((m) => existsSync(join(sub, m)));
  });
}
