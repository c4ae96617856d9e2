import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw repro`. */
export interface ReproOptions extends GlobalOptions {
  readonly seed?: number;
}

/** `aya-fw repro <id>`: runs a paper's own check and prints its summary. */
export async function reproCommand(id: string, opts: ReproOptions): Promise<Session> {
  const session = await openSession(opts);
  const reproduction = session.engine.resolve('reproductions', id);
  await startBackend(session, opts.backend ?? 'auto');
  const result = await reproduction.run({ engine: session.engine, reporter: session.reporter, seed: opts.seed ?? 0 });
  for (const line of reproduction.summarize?.(result) ?? [JSON.stringify(result, null, 2)]) session.reporter.info(line);
  session.reporter.result('reproduction', id);
  session.reporter.result('result', result);
  return session;
}
