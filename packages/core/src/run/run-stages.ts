import { mkdirSync } from 'node:fs';
import type { Engine } from '../engine/engine';
import type { RunInfo, RunResult } from '../engine/hook-types';
import type { TrainerResult } from '../registry/contributions';
import type { PlannedStage } from './plan-stage';

/** How planned stages run. */
export interface RunStagesOptions {
  /** Folder relative paths in the options resolve from (the recipe's folder, or the working directory). */
  readonly baseDir: string;
  /** Continue each stage from its newest complete checkpoint. */
  readonly resume?: boolean;
}

/**
 * Runs planned stages in order through the lifecycle hooks (`beforeRun`, `run`, then
 * `beforeStage` / the trainer / `afterStage` per stage, then `afterRun`): the one runner behind
 * `aya-fw run` and `aya-fw train`. Stage `i` gets seed `run.seed + i` and the results of the
 * stages before it.
 */
export async function runStages(engine: Engine, run: RunInfo, planned: readonly PlannedStage[], options: RunStagesOptions): Promise<RunResult> {
  mkdirSync(run.outDir, { recursive: true });
  await engine.hooks.beforeRun.promise(run);
  await engine.hooks.run.promise(run);
  const stages: Record<string, TrainerResult> = {};
  for (const [index, stage] of planned.entries()) {
    const info = { run, name: stage.name, trainer: stage.trainer.id, index, count: planned.length };
    mkdirSync(stage.outDir, { recursive: true });
    await engine.hooks.beforeStage.promise(info);
    stages[stage.name] = await stage.trainer.run({
      engine,
      config: stage.config,
      stage: stage.name,
      outDir: stage.outDir,
      seed: run.seed + index,
      reporter: engine.reporter,
      previous: { ...stages },
      baseDir: options.baseDir,
      resume: options.resume,
    });
    await engine.hooks.afterStage.promise(info, { stages: { ...stages } });
  }
  const result: RunResult = { stages };
  await engine.hooks.afterRun.promise(run, result);
  return result;
}
