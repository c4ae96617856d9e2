import { errorMessage, UsageError } from '@aya-fw/core';
import { resolve } from 'node:path';
import { openSession, type GlobalOptions, type Session } from '../session';
import { runSingleStage } from '../single-stage';

/** Options of `aya-fw eval winrate`. */
export interface EvalWinRateOptions extends GlobalOptions {
  readonly model: string;
  readonly modelName?: string;
  readonly baseline: string;
  readonly prompts: string;
  readonly judge: string;
  readonly judgeConfig?: string;
  readonly out?: string;
  readonly maxNewTokens?: number;
  readonly languages?: string[];
  readonly perLanguage?: number;
  readonly positionSwap: boolean;
  readonly seed?: number;
}

/**
 * `aya-fw eval winrate --model A --baseline B --prompts FILE|DIR --judge ID|URL`: the `win-rate`
 * stage on its own (models and judge local or remote), with its report in `--out`.
 */
export async function evalWinRateCommand(opts: EvalWinRateOptions): Promise<Session> {
  const session = await openSession(opts);
  const name = opts.modelName ?? 'model';
  const options = {
    models: { [name]: opts.model },
    baseline: opts.baseline,
    prompts: opts.prompts,
    judge: opts.judge,
    ...(opts.judgeConfig ? { judgeConfig: parseJson(opts.judgeConfig, '--judge-config') } : {}),
    positionSwap: opts.positionSwap,
    ...(opts.maxNewTokens ? { maxNewTokens: opts.maxNewTokens } : {}),
    ...(opts.languages ? { languages: opts.languages } : {}),
    ...(opts.perLanguage ? { promptsPerLanguage: opts.perLanguage } : {}),
    title: `${name} against ${opts.baseline}`,
  };
  await runSingleStage(session, { name: 'winrate', trainer: 'win-rate', options, where: 'aya-fw eval winrate', outDir: resolve(opts.out ?? 'runs/eval-winrate'), baseDir: process.cwd(), seed: opts.seed, backend: opts.backend });
  return session;
}

/** Options of `aya-fw eval harm`. */
export interface EvalHarmOptions extends GlobalOptions {
  readonly model: string;
  readonly modelName?: string;
  readonly prompts: string;
  readonly judge?: string;
  readonly judgeConfig?: string;
  readonly out?: string;
  readonly maxNewTokens?: number;
  readonly languages?: string[];
  readonly perLanguage?: number;
  readonly seed?: number;
}

/**
 * `aya-fw eval harm --model DIR --prompts FILE [--judge ID]`: the `harm-rate` stage on its own —
 * harmful-generation rates per language, global and local, with bootstrap intervals.
 */
export async function evalHarmCommand(opts: EvalHarmOptions): Promise<Session> {
  const session = await openSession(opts);
  const name = opts.modelName ?? 'model';
  const options = {
    models: { [name]: opts.model },
    prompts: opts.prompts,
    ...(opts.judge ? { judge: opts.judge } : {}),
    ...(opts.judgeConfig ? { judgeConfig: parseJson(opts.judgeConfig, '--judge-config') } : {}),
    ...(opts.maxNewTokens ? { maxNewTokens: opts.maxNewTokens } : {}),
    ...(opts.languages ? { languages: opts.languages } : {}),
    ...(opts.perLanguage ? { promptsPerLanguage: opts.perLanguage } : {}),
    title: `harmful-generation rates of ${name}`,
  };
  await runSingleStage(session, { name: 'harm', trainer: 'harm-rate', options, where: 'aya-fw eval harm', outDir: resolve(opts.out ?? 'runs/eval-harm'), baseDir: process.cwd(), seed: opts.seed, backend: opts.backend });
  return session;
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: not valid JSON (${errorMessage(err)})`);
  }
}
