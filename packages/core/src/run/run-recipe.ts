import { join } from 'node:path';
import type { LoadedRecipe } from '../config/recipe';
import type { Engine } from '../engine/engine';
import type { RunInfo, RunResult } from '../engine/hook-types';
import { writeJsonAtomic } from '../fs/atomic';
import { planStage } from './plan-stage';
import { runStages } from './run-stages';

/** Where and how a recipe runs. */
export interface RunRecipeOptions {
  readonly outDir: string;
  readonly seed: number;
  /** Name of the backend in use, for the run record. */
  readonly backend: string;
  /** Continue stages from their newest complete checkpoints. */
  readonly resume?: boolean;
  /** Resume stages whose recorded options, data or model differ from this run's. */
  readonly forceResume?: boolean;
  /** Replace an output folder that holds an earlier run (without it, such a folder is refused unless resuming). */
  readonly overwrite?: boolean;
}

/**
 * Runs a recipe's stages in order through the lifecycle hooks. Every stage's trainer, options
 * and the contributions they name (losses, optimizers, adapters…) are validated before the first
 * stage starts. The run's summary, `run.json`, is written last (atomically), so a folder without
 * it is an unfinished run.
 */
export async function runRecipe(engine: Engine, loaded: LoadedRecipe, options: RunRecipeOptions): Promise<RunResult> {
  const { recipe, source } = loaded;
  const planned = recipe.stages.map((stage, i) =>
    planStage(engine, stage.name, stage.trainer, stage.with, {
      where: source.locate(['stages', i, 'with']) ?? source.file,
      prefix: ['stages', i, 'with'],
      locate: source.locate,
      earlier: recipe.stages.slice(0, i).map((s) => s.name),
      trainerAt: `${source.locate(['stages', i, 'trainer']) ?? source.file}: stages[${i}].trainer`,
      outDir: join(options.outDir, stage.name),
    }),
  );
  const run: RunInfo = { name: recipe.name, recipe: source.file, outDir: options.outDir, seed: options.seed, backend: options.backend };
  const result = await runStages(engine, run, planned, { baseDir: loaded.baseDir, resume: options.resume, forceResume: options.forceResume, claimOutDir: true, overwrite: options.overwrite });
  writeJsonAtomic(join(options.outDir, 'run.json'), { name: recipe.name, recipe: source.file, seed: options.seed, backend: options.backend, ...result });
  return result;
}
