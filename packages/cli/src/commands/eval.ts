import { planStage, runStages, type BackendName } from '@aya-fw/core';
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
    ...(opts.judgeConfig ? { judgeConfig: JSON.parse(opts.judgeConfig) } : {}),
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
