import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors';
import { writeJsonAtomic } from '../fs/atomic';

/**
 * What a stage's checkpoints were trained from: its trainer, its options and the content of every
 * file or folder its options name (data, model, reference model…). Stored as `fingerprint.json` in
 * the stage folder when the stage starts; a resume compares it with the run being resumed.
 */
export interface StageFingerprint {
  readonly trainer: string;
  /** The parsed options, less the ones a resume may change ({@link RESUMABLE_CHANGES}). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Content hash of each path the options name, by the option's value. */
  readonly files: Readonly<Record<string, string>>;
}

/** Options that change only bookkeeping, so a resume may change them freely. */
export const RESUMABLE_CHANGES: readonly string[] = ['checkpointEvery', 'evalEvery', 'logEvery', 'saveTotalLimit', 'saveDtype'];

const FILE = 'fingerprint.json';
/** Files up to this size are hashed whole; larger ones (weights) by size and three 4 MiB samples. */
const WHOLE_FILE_BYTES = 256 << 20;
const SAMPLE_BYTES = 4 << 20;

/** The fingerprint of a stage with `config`, its paths resolved from `baseDir`. */
export function stageFingerprint(trainer: string, config: unknown, baseDir: string): StageFingerprint {
  const options = (config && typeof config === 'object' ? config : {}) as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(options).filter(([k]) => !RESUMABLE_CHANGES.includes(k)));
  const files: Record<string, string> = {};
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value in files || value.startsWith('stage:') || /^[a-z]+:\/\//i.test(value) || !value.trim()) return;
      const path = resolve(baseDir, value);
      if (existsSync(path)) files[value] = pathHash(path);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(kept);
  return { trainer, config: JSON.parse(JSON.stringify(kept)) as Record<string, unknown>, files };
}

/**
 * Records `current` in `stageDir`, after comparing it with the one there when resuming: a stage
 * whose checkpoints came from other options, data or model is refused (one line naming what
 * changed) unless `force`. A fresh stage just records it.
 */
export function checkFingerprint(stageDir: string, current: StageFingerprint, options: { resume?: boolean; force?: boolean; warn?: (message: string) => void }): void {
  const file = join(stageDir, FILE);
  if (options.resume && existsSync(join(stageDir, 'checkpoints'))) {
    if (!existsSync(file)) {
      options.warn?.(`${stageDir}: no ${FILE}, so the checkpoints cannot be checked against this run's options and data`);
    } else {
      const recorded = JSON.parse(readFileSync(file, 'utf8')) as StageFingerprint;
      const changes = fingerprintChanges(recorded, current);
      if (changes.length && !options.force) {
        throw new UsageError(`${stageDir}: its checkpoints come from a different run (${changes.join('; ')}); pass --force-resume to resume anyway, or --overwrite to start over`);
      }
      if (changes.length) options.warn?.(`${stageDir}: resuming although ${changes.join('; ')} (--force-resume)`);
    }
  }
  writeJsonAtomic(file, current);
}

/** What differs between two fingerprints, one phrase each (`maxSteps 4 → 8`, `data.jsonl changed`). */
export function fingerprintChanges(before: StageFingerprint, after: StageFingerprint): string[] {
  const changes: string[] = [];
  if (before.trainer !== after.trainer) changes.push(`trainer ${before.trainer} → ${after.trainer}`);
  for (const key of [...new Set([...Object.keys(before.config), ...Object.keys(after.config)])]) {
    const [a, b] = [JSON.stringify(before.config[key]), JSON.stringify(after.config[key])];
    if (a !== b) changes.push(`${key} ${short(a)} → ${short(b)}`);
  }
  for (const [path, hash] of Object.entries(after.files)) {
    if (before.files[path] !== undefined && before.files[path] !== hash) changes.push(`${path} changed`);
  }
  return changes;
}

function short(json: string | undefined): string {
  if (json === undefined) return '(unset)';
  return json.length > 40 ? `${json.slice(0, 37)}…` : json;
}

/** Content hash of a file, or of a folder's files (not its subfolders), by name. */
function pathHash(path: string): string {
  const hash = createHash('sha256');
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const file = join(path, name);
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      hash.update(`${name}\0`);
      hashFile(file, hash);
    }
  } else {
    hashFile(path, hash);
  }
  return hash.digest('hex').slice(0, 32);
}

function hashFile(file: string, hash: ReturnType<typeof createHash>): void {
  const size = statSync(file).size;
  hash.update(`${size}\0`);
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(size, size <= WHOLE_FILE_BYTES ? 1 << 20 : SAMPLE_BYTES));
    const read = (position: number, length: number) => {
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, length - done), position + done);
        if (n <= 0) break;
        hash.update(buffer.subarray(0, n));
        done += n;
      }
    };
    if (size <= WHOLE_FILE_BYTES) read(0, size);
    else for (const at of [0, Math.floor(size / 2), size - SAMPLE_BYTES]) read(at, SAMPLE_BYTES);
  } finally {
    closeSync(fd);
  }
}
