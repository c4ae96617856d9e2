import { ConfigError, formatOptionDocs, readConfigFile, UsageError } from '@aya-fw/core';
import { resolve } from 'node:path';
import { openSession, stopOnInterrupt, type GlobalOptions, type Session } from '../session';
import { runSingleStage } from '../single-stage';
import { applyOptionFlags, optionGroups, type OptionGroup } from '../trainer-options';

/** Options of `aya-fw train`. */
export interface TrainCommandOptions extends GlobalOptions {
  readonly model?: string;
  readonly data?: string;
  readonly config?: string;
  readonly out?: string;
  readonly resume?: boolean;
  readonly forceResume?: boolean;
  readonly overwrite?: boolean;
  readonly seed?: number;
  /** Adapter type (`lora`, `ia3`, …); its options go in the config file's `adapter` or flags. */
  readonly adapter?: string;
  /** `--set path=value`, in order. */
  readonly set?: string[];
  readonly help?: boolean;
}

/**
 * `aya-fw train <trainer> --model DIR --data FILE [--config cfg.yaml] [--<option> value…] --out DIR`:
 * one trainer from the registry, with options from the config file, then flags over them.
 * `flags` are the command line's other arguments (`--batch-size 4`, `--learning_rate=1e-5`).
 */
export async function trainCommand(trainerId: string | undefined, opts: TrainCommandOptions, flags: readonly string[], commandHelp: () => string): Promise<Session> {
  const session = await openSession(opts);
  const { engine, reporter } = session;
  if (!trainerId) {
    if (!opts.help) throw new UsageError(`aya-fw train: missing the trainer id (${engine.registries.trainers.list().map((t) => t.id).join(', ')})`);
    process.stdout.write(`${commandHelp()}\nTrainers (aya-fw train <trainer> --help lists a trainer's options):\n${engine.registries.trainers.list().map((t) => `  ${t.id.padEnd(18)} ${t.description}`).join('\n')}\n`);
    return session;
  }
  const trainer = engine.resolve('trainers', trainerId);
  const file = opts.config ? readConfigFile(opts.config) : undefined;
  const fromFile = file?.value ?? {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new ConfigError(`${opts.config}: expected a mapping of trainer options`);
  const base = fromFile as Record<string, unknown>;
  const adapter = opts.adapter ? { adapter: { ...((base.adapter as object) ?? {}), type: opts.adapter } } : {};
  const named = { ...base, ...(opts.model ? { model: opts.model } : {}), ...(opts.data ? { data: opts.data } : {}), ...adapter };
  if (opts.help) {
    // The sections follow the loss, optimizer and adapter the flags choose, where they parse.
    let chosen = named;
    try {
      chosen = applyOptionFlags(engine, trainer, named, flags, opts.set ?? []);
    } catch {
      /* the help shows the config file's choices */
    }
    process.stdout.write(`${commandHelp()}\n${trainerHelp(optionGroups(engine, trainer, chosen))}`);
    return session;
  }
  const options = applyOptionFlags(engine, trainer, named, flags, opts.set ?? []);
  const lossDoc = optionGroups(engine, trainer, {})[0]?.docs.find((d) => d.path === 'loss');
  if (lossDoc?.default && options.loss === undefined) reporter.info(`${trainerId}: loss ${JSON.parse(lossDoc.default)} (the default; another with --loss <id>, aya-fw plugins lists the losses)`);
  const release = stopOnInterrupt(session);
  // One stage, planned and run exactly as a recipe's are: validated up front, through the lifecycle hooks.
  const result = await runSingleStage(session, {
    name: trainerId,
    trainer: trainerId,
    options,
    where: opts.config ?? `aya-fw train ${trainerId}`,
    locate: file?.locate,
    outDir: resolve(opts.out ?? `runs/${trainerId}`),
    baseDir: process.cwd(),
    seed: opts.seed,
    resume: opts.resume,
    backend: opts.backend,
    folder: { forceResume: opts.forceResume, overwrite: opts.overwrite },
  }).finally(release);
  reporter.info(`${trainerId}: ${Object.entries(result.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}`);
  reporter.result('backend', result.backend);
  reporter.result('trainer', trainerId);
  return session;
}

/** The options sections of `aya-fw train <trainer> --help`. */
export function trainerHelp(groups: readonly OptionGroup[]): string {
  return groups
    .map((g, i) => {
      const title =
        i === 0
          ? `Options of ${g.title} (flags over --config, e.g. --batch-size 8 or --batch_size=8; any field with --set path=value):`
          : `Options of its ${g.title} (${g.at.join('.')} in --config; flags or --set ${g.at.join('.')}.<option>=value):`;
      // The adapter's type is --adapter's value; its options get a section of their own.
      return `${title}\n${formatOptionDocs(i === 0 ? g.docs.filter((d) => d.path !== 'adapter') : g.docs)}\n`;
    })
    .join('\n');
}
