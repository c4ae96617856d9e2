import { mkdirSync } from 'node:fs';
import type { Engine } from '../engine/engine';
import type { RunInfo, RunResult } from '../engine/hook-types';
import type { TrainerResult } from '../registry/contributions';
import { claimRunFolder } from './run-folder';
import { checkFingerprint, stageFingerprint } from './fingerprint';
import type { PlannedStage } from './plan-stage';

/** How planned stages run. */
export interface RunStagesOptions {
  /** Folder relative paths in the options resolve from (the recipe's folder, or the working directory). */
  readonly baseDir: string;
  /** Continue each stage from its newest complete checkpoint. */
  readonly resume?: boolean;
  /** Resume even where a stage's recorded options, data or model differ from this run's. */
  readonly forceResume?: boolean;
  /**
   * Refuse an output folder that holds files unless resuming, or replace it with `overwrite`
   * ({@link claimRunFolder}), after every stage is planned: what training runs do.
   */
  readonly claimOutDir?: boolean;
  readonly overwrite?: boolean;
}

/**
 * Runs planned stages in order through the lifecycle hooks (`beforeRun`, `run`, then
 * `beforeStage` / the trainer / `afterStage` per stage, then `afterRun`): the one runner behind
 * `aya-fw run` and `aya-fw train`. Stage `i` gets seed `run.seed + i` and the results of the
 * stages before it. Each stage records its fingerprint (trainer, options, the content of the files
 * they name); a resumed stage whose checkpoints come from another fingerprint is refused.
 */
export async function runStages(engine: Engine, run: RunInfo, planned: readonly PlannedStage[], options: RunStagesOptions): Promise<RunResult> {
  if (options.claimOutDir) claimRunFolder(run.outDir, { resume: options.resume, overwrite: options.overwrite });
  mkdirSync(run.outDir, { recursive: true });
  await engine.hooks.beforeRun.promise(run);
  await engine.hooks.run.promise(run);
  const stages: Record<string, TrainerResult> = {};
  for (const [index, stage] of planned.entries()) {
    engine.throwIfInterrupted(`stopped before stage '${stage.name}'`);
    const info = { run, name: stage.name, trainer: stage.trainer.id, index, count: planned.length };
    mkdirSync(stage.outDir, { recursive: true });
    const fingerprint = stageFingerprint(stage.trainer.id, stage.config, options.baseDir);
    checkFingerprint(stage.outDir, fingerprint, { resume: options.resume, force: options.forceResume, warn: (m) => engine.reporter.warn(m) });
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
