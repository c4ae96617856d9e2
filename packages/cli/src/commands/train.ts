import { ConfigError, readConfigFile, type BackendName } from '@aya-fw/core';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw train`. */
export interface TrainCommandOptions extends GlobalOptions {
  readonly model?: string;
  readonly data?: string;
  readonly config?: string;
  readonly out?: string;
  readonly resume?: boolean;
  readonly seed?: number;
  /** Adapter type (`lora`, `ia3`, …); its options go in the config file's `adapter`. */
  readonly adapter?: string;
}

/**
 * `aya-fw train <trainer> --model DIR --data FILE [--config cfg.yaml] --out DIR`: one trainer
 * from the registry, with options from the config file and the command line.
 */
export async function trainCommand(trainerId: string, opts: TrainCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  const trainer = session.engine.registries.trainers.get(trainerId);
  const file = opts.config ? readConfigFile(opts.config) : undefined;
  const fromFile = file?.value ?? {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new ConfigError(`${opts.config}: expected a mapping of trainer options`);
  const base = fromFile as Record<string, unknown>;
  const adapter = opts.adapter ? { adapter: { ...((base.adapter as object) ?? {}), type: opts.adapter } } : {};
  const options = { ...base, ...(opts.model ? { model: opts.model } : {}), ...(opts.data ? { data: opts.data } : {}), ...adapter };
  const config = session.engine.parseConfig(trainer, options, opts.config ?? `aya-fw train ${trainerId}`, file ? { locate: file.locate } : undefined);
  const backend = await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const outDir = resolve(opts.out ?? `runs/${trainerId}`);
  mkdirSync(outDir, { recursive: true });
  const result = await trainer.run({
    engine: session.engine,
    config,
    stage: trainerId,
    outDir,
    seed: opts.seed ?? 0,
    reporter: session.reporter,
    previous: {},
    baseDir: process.cwd(),
    resume: opts.resume,
  });
  const metrics = Object.entries(result.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ');
  session.reporter.info(`${trainerId}: ${metrics}`);
  for (const [name, path] of Object.entries(result.artifacts ?? {})) session.reporter.info(`${name}: ${path}`);
  session.reporter.result('backend', backend.name);
  session.reporter.result('trainer', trainerId);
  session.reporter.result('metrics', result.metrics);
  session.reporter.result('artifacts', result.artifacts ?? {});
  return session;
}
