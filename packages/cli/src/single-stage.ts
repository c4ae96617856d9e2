import { planStage, runStages, type BackendName, type RunStagesOptions, type TrainerResult } from '@aya-fw/core';
import { startBackend, type Session } from './session';

/** One trainer run as a one-stage recipe: what `train`, `merge-search` and `eval …` have in common. */
export interface SingleStage {
  /** Stage name (its result is keyed by it). */
  readonly name: string;
  readonly trainer: string;
  readonly options: Record<string, unknown>;
  /** Where the options came from, for messages (`cfg.yaml`, `aya-fw eval harm`). */
  readonly where: string;
  readonly locate?: (path: readonly PropertyKey[]) => string | undefined;
  readonly outDir: string;
  /** Folder relative paths resolve from. */
  readonly baseDir: string;
  readonly seed?: number;
  readonly resume?: boolean;
  readonly backend?: BackendName;
  /** A training run's folder handling: refuse a used output folder unless resuming or overwriting; check fingerprints on resume. */
  readonly folder?: Pick<RunStagesOptions, 'forceResume' | 'overwrite'>;
}

/**
 * Plans the stage (options and the contributions they name validated before the backend starts),
 * runs it through the lifecycle hooks exactly as a recipe's stage, and reports its outputs.
 */
export async function runSingleStage(session: Session, s: SingleStage): Promise<TrainerResult & { backend: string }> {
  const stage = planStage(session.engine, s.name, s.trainer, s.options, { where: s.where, locate: s.locate, outDir: s.outDir });
  const backend = await startBackend(session, s.backend ?? 'auto');
  const run = { name: s.name, outDir: s.outDir, seed: s.seed ?? 0, backend: backend.name };
  const result = (await runStages(session.engine, run, [stage], { baseDir: s.baseDir, resume: s.resume || s.folder?.forceResume, ...(s.folder ? { ...s.folder, claimOutDir: true } : {}) })).stages[s.name];
  for (const [key, path] of Object.entries(result.artifacts ?? {})) session.reporter.info(`${key}: ${path}`);
  session.reporter.result('metrics', result.metrics);
  session.reporter.result('artifacts', result.artifacts ?? {});
  return { ...result, backend: backend.name };
}
