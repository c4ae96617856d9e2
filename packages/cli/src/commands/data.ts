import { errorMessage, UsageError } from '@aya-fw/core';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { openSession, type GlobalOptions, type Session } from '../session';
import { runSingleStage } from '../single-stage';

/** Options of `aya-fw data arbitrage`. */
export interface DataArbitrageOptions extends GlobalOptions {
  readonly teachers: string[];
  readonly arbiter: string;
  readonly arbiterConfig?: string;
  readonly prompts: string;
  readonly out?: string;
  readonly maxNewTokens?: number;
  readonly temperature?: number;
  readonly languages?: string[];
  readonly chunkSize?: number;
  readonly resume?: boolean;
  readonly seed?: number;
}

/**
 * A teacher as written on the command line: `MODEL`, `MODEL@en+es+fr` (the languages it serves),
 * either with `NAME=` in front.
 */
export function parseTeacher(text: string): { model: string; name?: string; languages?: string[] } {
  const eq = /^([A-Za-z0-9._-]+)=(.+)$/.exec(text);
  const rest = eq ? eq[2] : text;
  const at = rest.lastIndexOf('@');
  const model = at > 0 ? rest.slice(0, at) : rest;
  const languages = at > 0 ? rest.slice(at + 1).split('+').filter(Boolean) : undefined;
  if (!model || (languages && !languages.length)) throw new UsageError(`--teachers: '${text}' is not MODEL, MODEL@lang+lang or NAME=MODEL@lang+lang`);
  return { model, ...(eq ? { name: eq[1] } : {}), ...(languages ? { languages } : {}) };
}

/**
 * The arbiter as written on the command line: a reward list or spec as JSON, a reward-model
 * folder, or the id of a reward function (with `--arbiter-config` as its options).
 */
export function parseArbiter(text: string, config?: string): unknown[] {
  const json = (value: string, flag: string) => {
    try {
      return JSON.parse(value) as unknown;
    } catch (err) {
      throw new UsageError(`${flag}: not valid JSON (${errorMessage(err)})`);
    }
  };
  if (/^\s*[[{]/.test(text)) {
    const value = json(text, '--arbiter');
    return Array.isArray(value) ? value : [value];
  }
  if (existsSync(text) && statSync(text).isDirectory()) return [{ model: resolve(text) }];
  return [{ function: text, ...(config ? { config: json(config, '--arbiter-config') } : {}) }];
}

/**
 * `aya-fw data arbitrage --teachers a,b,c --arbiter X --prompts FILE --out DIR`: the `arbitrage`
 * stage on its own; `--resume` continues a killed run from its committed chunks.
 */
export async function dataArbitrageCommand(opts: DataArbitrageOptions): Promise<Session> {
  const teachers = opts.teachers.map(parseTeacher);
  const rewards = parseArbiter(opts.arbiter, opts.arbiterConfig);
  const session = await openSession(opts);
  const options = {
    teachers,
    prompts: opts.prompts,
    rewards,
    ...(opts.maxNewTokens ? { maxNewTokens: opts.maxNewTokens } : {}),
    ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
    ...(opts.languages ? { languages: opts.languages } : {}),
    ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
  };
  await runSingleStage(session, {
    name: 'arbitrage',
    trainer: 'arbitrage',
    options,
    where: 'aya-fw data arbitrage',
    outDir: resolve(opts.out ?? 'runs/arbitrage'),
    baseDir: process.cwd(),
    seed: opts.seed,
    resume: opts.resume,
    backend: opts.backend,
  });
  return session;
}
