import { loadRecipe, runRecipe, type BackendName } from '@aya-fw/core';
import { isAbsolute, resolve } from 'node:path';
import { openSession, startBackend, stopOnInterrupt, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw run`. */
export interface RunOptions extends GlobalOptions {
  readonly out?: string;
  readonly seed?: number;
  readonly resume?: boolean;
  readonly forceResume?: boolean;
  readonly overwrite?: boolean;
}

/** `aya-fw run <recipe>`: loads the recipe's plugins and runs its stages. */
export async function runCommand(recipeFile: string, opts: RunOptions): Promise<Session> {
  const loaded = loadRecipe(recipeFile);
  const { recipe, baseDir } = loaded;
  const session = await openSession(
    opts,
    recipe.plugins.map((spec) => ({ spec, cwd: baseDir })),
  );
  const backend = await startBackend(session, (opts.backend ?? recipe.backend) as BackendName);
  const outDir = opts.out ? resolve(opts.out) : recipe.outDir ? resolve(baseDir, recipe.outDir) : resolve('runs', recipe.name);
  const seed = opts.seed ?? recipe.seed;
  const release = stopOnInterrupt(session);
  const result = await runRecipe(session.engine, loaded, { outDir, seed, backend: backend.name, resume: opts.resume || opts.forceResume, forceResume: opts.forceResume, overwrite: opts.overwrite }).finally(release);
  const { reporter } = session;
  for (const [stage, r] of Object.entries(result.stages)) {
    const metrics = Object.entries(r.metrics).map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ');
    reporter.info(`${stage}: ${metrics}`);
  }
  reporter.info(`run written to ${isAbsolute(outDir) ? outDir : resolve(outDir)}`);
  reporter.result('recipe', recipe.name);
  reporter.result('outDir', outDir);
  reporter.result('stages', result.stages);
  return session;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toFixed(4);
}
