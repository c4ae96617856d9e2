import { mkdirSync } from 'node:fs';
import { writeJsonAtomic } from '../fs/atomic';
import { join } from 'node:path';
import type { LoadedRecipe } from '../config/recipe';
import type { Engine } from '../engine/engine';
import type { RunInfo, RunResult } from '../engine/hook-types';
import type { TrainerDefinition, TrainerResult } from '../registry/contributions';

/** Where and how a recipe runs. */
export interface RunRecipeOptions {
  readonly outDir: string;
  readonly seed: number;
  /** Name of the backend in use, for the run record. */
  readonly backend: string;
  /** Continue stages from their newest complete checkpoints. */
  readonly resume?: boolean;
}

/**
 * Runs a recipe's stages in order through the lifecycle hooks. Every stage's trainer and
 * options are validated before the first stage starts. The run's summary, `run.json`,
 * is written last (atomically), so a folder without it is an unfinished run.
 */
export async function runRecipe(engine: Engine, loaded: LoadedRecipe, options: RunRecipeOptions): Promise<RunResult> {
  const { recipe, source } = loaded;
  const planned = recipe.stages.map((stage, i) => {
    const trainer: TrainerDefinition = engine.registries.trainers.get(stage.trainer);
    const where = source.locate(['stages', i, 'with']) ?? source.file;
    const config = trainer.configSchema
      ? engine.parseConfig(trainer, stage.with, where, { prefix: ['stages', i, 'with'], locate: source.locate })
      : stage.with;
    return { stage, trainer, config };
  });

  const run: RunInfo = { name: recipe.name, recipe: source.file, outDir: options.outDir, seed: options.seed, backend: options.backend };
  mkdirSync(options.outDir, { recursive: true });
  await engine.hooks.beforeRun.promise(run);
  await engine.hooks.run.promise(run);
  const stages: Record<string, TrainerResult> = {};
  for (const [index, { stage, trainer, config }] of planned.entries()) {
    const info = { run, name: stage.name, trainer: trainer.id, index, count: planned.length };
    const outDir = join(options.outDir, stage.name);
    mkdirSync(outDir, { recursive: true });
    await engine.hooks.beforeStage.promise(info);
    stages[stage.name] = await trainer.run({
      engine,
      config,
      stage: stage.name,
      outDir,
      seed: options.seed + index,
      reporter: engine.reporter,
      previous: { ...stages },
      baseDir: loaded.baseDir,
      resume: options.resume,
    });
    await engine.hooks.afterStage.promise(info, { stages: { ...stages } });
  }
  const result: RunResult = { stages };
  await engine.hooks.afterRun.promise(run, result);
  writeJsonAtomic(join(options.outDir, 'run.json'), { name: recipe.name, recipe: source.file, seed: options.seed, backend: options.backend, ...result });
  return result;
}
