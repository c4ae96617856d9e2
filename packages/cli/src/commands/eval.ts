import { errorMessage, planStage, runStages, UsageError, type BackendName } from '@aya-fw/core';
import { resolve } from 'node:path';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

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
  const outDir = resolve(opts.out ?? 'runs/eval-winrate');
  const stage = planStage(session.engine, 'winrate', 'win-rate', options, { where: 'aya-fw eval winrate', outDir });
  const backend = await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const result = (await runStages(session.engine, { name: 'eval-winrate', outDir, seed: opts.seed ?? 0, backend: backend.name }, [stage], { baseDir: process.cwd() })).stages.winrate;
  for (const [key, path] of Object.entries(result.artifacts ?? {})) session.reporter.info(`${key}: ${path}`);
  session.reporter.result('metrics', result.metrics);
  session.reporter.result('artifacts', result.artifacts ?? {});
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
  const outDir = resolve(opts.out ?? 'runs/eval-harm');
  const stage = planStage(session.engine, 'harm', 'harm-rate', options, { where: 'aya-fw eval harm', outDir });
  const backend = await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const result = (await runStages(session.engine, { name: 'eval-harm', outDir, seed: opts.seed ?? 0, backend: backend.name }, [stage], { baseDir: process.cwd() })).stages.harm;
  for (const [key, path] of Object.entries(result.artifacts ?? {})) session.reporter.info(`${key}: ${path}`);
  session.reporter.result('metrics', result.metrics);
  session.reporter.result('artifacts', result.artifacts ?? {});
  return session;
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: not valid JSON (${errorMessage(err)})`);
  }
}
