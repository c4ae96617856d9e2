import { ConfigError, planStage, readConfigFile, runStages, type BackendName } from '@aya-fw/core';
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
  const file = opts.config ? readConfigFile(opts.config) : undefined;
  const fromFile = file?.value ?? {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new ConfigError(`${opts.config}: expected a mapping of trainer options`);
  const base = fromFile as Record<string, unknown>;
  const adapter = opts.adapter ? { adapter: { ...((base.adapter as object) ?? {}), type: opts.adapter } } : {};
  const options = { ...base, ...(opts.model ? { model: opts.model } : {}), ...(opts.data ? { data: opts.data } : {}), ...adapter };
  const outDir = resolve(opts.out ?? `runs/${trainerId}`);
  // One stage, planned and run exactly as a recipe's are: validated up front, through the lifecycle hooks.
  const stage = planStage(session.engine, trainerId, trainerId, options, { where: opts.config ?? `aya-fw train ${trainerId}`, locate: file?.locate, outDir });
  const backend = await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const run = { name: trainerId, outDir, seed: opts.seed ?? 0, backend: backend.name };
  const result = (await runStages(session.engine, run, [stage], { baseDir: process.cwd(), resume: opts.resume })).stages[trainerId];
  const metrics = Object.entries(result.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ');
  session.reporter.info(`${trainerId}: ${metrics}`);
  for (const [name, path] of Object.entries(result.artifacts ?? {})) session.reporter.info(`${name}: ${path}`);
  session.reporter.result('backend', backend.name);
  session.reporter.result('trainer', trainerId);
  session.reporter.result('metrics', result.metrics);
  session.reporter.result('artifacts', result.artifacts ?? {});
  return session;
}
