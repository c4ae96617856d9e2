import { ConfigError, planStage, readConfigFile, runStages, type BackendName } from '@aya-fw/core';
import { dirname, resolve } from 'node:path';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

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
  const outDir = resolve(opts.out ?? 'runs/merge-search');
  const stage = planStage(session.engine, 'merge-search', 'merge-search', config.value as Record<string, unknown>, { where: file, locate: config.locate, outDir });
  const backend = await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const result = (await runStages(session.engine, { name: 'merge-search', outDir, seed: opts.seed ?? 0, backend: backend.name }, [stage], { baseDir: dirname(resolve(file)), resume: opts.resume })).stages['merge-search'];
  for (const [key, path] of Object.entries(result.artifacts ?? {})) session.reporter.info(`${key}: ${path}`);
  session.reporter.result('metrics', result.metrics);
  session.reporter.result('artifacts', result.artifacts ?? {});
  return session;
}
