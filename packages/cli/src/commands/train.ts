import { ConfigError, readConfigFile } from '@aya-fw/core';
import { resolve } from 'node:path';
import { openSession, type GlobalOptions, type Session } from '../session';
import { runSingleStage } from '../single-stage';

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
  // One stage, planned and run exactly as a recipe's are: validated up front, through the lifecycle hooks.
  const result = await runSingleStage(session, { name: trainerId, trainer: trainerId, options, where: opts.config ?? `aya-fw train ${trainerId}`, locate: file?.locate, outDir: resolve(opts.out ?? `runs/${trainerId}`), baseDir: process.cwd(), seed: opts.seed, resume: opts.resume, backend: opts.backend });
  session.reporter.info(`${trainerId}: ${Object.entries(result.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}`);
  session.reporter.result('backend', result.backend);
  session.reporter.result('trainer', trainerId);
  return session;
}
