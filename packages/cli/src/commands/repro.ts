import { UsageError } from '@aya-fw/core';
import { join, resolve } from 'node:path';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw repro`. */
export interface ReproOptions extends GlobalOptions {
  readonly seed?: number;
  readonly out?: string;
  readonly size?: string;
}

/** `aya-fw repro <id>`: runs a paper's own check and prints its summary. */
export async function reproCommand(id: string, opts: ReproOptions): Promise<Session> {
  if (opts.size !== undefined && opts.size !== 'full' && opts.size !== 'reduced') throw new UsageError(`--size: expected full or reduced, got '${opts.size}'`);
  const session = await openSession(opts);
  const reproduction = session.engine.resolve('reproductions', id);
  await startBackend(session, opts.backend ?? 'auto');
  const outDir = resolve(opts.out ?? join('runs', `repro-${id}`));
  const result = await reproduction.run({ engine: session.engine, reporter: session.reporter, seed: opts.seed ?? 0, outDir, size: opts.size ?? 'full' });
  for (const line of reproduction.summarize?.(result) ?? [JSON.stringify(result, null, 2)]) session.reporter.info(line);
  session.reporter.result('reproduction', id);
  session.reporter.result('result', result);
  return session;
}
