import { ConfigError, readConfigFile } from '@aya-fw/core';
import { dirname, resolve } from 'node:path';
import { openSession, type GlobalOptions, type Session } from '../session';
import { runSingleStage } from '../single-stage';

/** Options of `aya-fw merge-search`. */
export interface MergeSearchCommandOptions extends GlobalOptions {
  readonly out?: string;
  readonly resume?: boolean;
  readonly seed?: number;
}

/**
 * `aya-fw merge-search CONFIG [--out DIR] [--resume]`: the `merge-search` stage from a YAML file
 * (pool, method, evaluators, budget), paths relative to the file; the best merge lands in `DIR/best`.
 */
export async function mergeSearchCommand(file: string, opts: MergeSearchCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  const config = readConfigFile(file);
  if (typeof config.value !== 'object' || config.value === null || Array.isArray(config.value)) throw new ConfigError(`${file}: expected a mapping of merge-search options`);
  await runSingleStage(session, {
    name: 'merge-search',
    trainer: 'merge-search',
    options: config.value as Record<string, unknown>,
    where: file,
    locate: config.locate,
    outDir: resolve(opts.out ?? 'runs/merge-search'),
    baseDir: dirname(resolve(file)),
    seed: opts.seed,
    resume: opts.resume,
    backend: opts.backend,
  });
  return session;
}
