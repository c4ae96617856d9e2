import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AyaError, CmaEs, errorMessage, mixSeed, UsageError, writeJsonAtomic, type CmaState, type Engine, type EvaluatorSession, type Reporter } from '@aya-fw/core';
import type { MergeSearchConfig } from './config';
import { decodeGenome, genomeSize, initialGenome, type DecodedGenome, type GenomeSpec } from './genome';
import { paretoFront, sweepWeights } from './pareto';
import { CheckpointPool } from './pool';

/** Where a search runs and what it may read. */
export interface SearchContext {
  readonly engine: Engine;
  readonly reporter: Reporter;
  readonly stage: string;
  /** Folder of the search's state, cache and outputs. */
  readonly outDir: string;
  readonly seed: number;
  /** Continue a killed search from its state (else an old state is discarded). */
  readonly resume?: boolean;
  /** Resolves a model or data path of the config (folders, `stage:` outputs). */
  resolve(path: string, artifact: string): string;
}

/** One evaluated merge. */
export interface Candidate {
  readonly label: string;
  readonly weights: number[][];
  readonly density?: number[][];
  /** One score per evaluator, as the evaluator returned it; NaN for a failed candidate. */
  readonly scores: number[];
  readonly failed?: string;
}

/** What a search found. */
export interface SearchResult {
  readonly names: readonly string[];
  readonly directions: readonly ('higher' | 'lower')[];
  /** The best merge by the macro-average. */
  readonly best: Candidate;
  readonly singles: readonly Candidate[];
  readonly uniform: Candidate;
  /** Non-dominated candidates among everything evaluated (singles and the soup included). */
  readonly front: readonly Candidate[];
  readonly evaluations: number;
  /** Why each sweep stopped. */
  readonly stops: readonly string[];
  /** Macro-average of a candidate (oriented: higher is better). */
  macro(c: Candidate): number;
  /** The pool, with the best merge written into its model; dispose when done. */
  readonly pool: CheckpointPool;
}

interface SearchState {
  readonly fingerprint: string;
  sweep: number;
  es: CmaState | null;
  stops: string[];
}

const keyOf = (d: DecodedGenome) => JSON.stringify(d);

/**
 * CMA-ES over the merge weights of a checkpoint pool ("Recycle Them"): each candidate is merged
 * in memory and scored by every evaluator; the objective is their weighted macro-average (the
 * paper) or, for `pareto`, a sweep of scalarisations whose archive gives the front. Every
 * evaluation is appended to `evaluations.jsonl` (the cache, keyed by the decoded weights) and the
 * CMA-ES state is saved after every generation, so a killed search resumes to the same result.
 */
export async function runMergeSearch(ctx: SearchContext, config: MergeSearchConfig): Promise<SearchResult> {
  const names = config.evaluators.map((e) => e.name ?? e.id);
  if (new Set(names).size !== names.length) throw new UsageError(`merge-search: two evaluators are named ${names.join(', ')}; give each a distinct name`);
  const definitions = config.evaluators.map((e, i) => ctx.engine.configure('evaluators', e.id, e.config, `evaluators[${i}] '${names[i]}'`));
  const method = ctx.engine.resolve('mergeMethods', config.method);
  if (method.requiresBase && !config.base) throw new UsageError(`merge-search: method '${method.id}' merges task vectors; set base`);
  if (config.genome.density && !(method.tensorParameters ?? []).some((p) => p.name === 'density')) throw new UsageError(`merge-search: genome.density needs a method with a density parameter (ties, dare-ties…), not '${method.id}'`);
  const spec: GenomeSpec = { models: config.pool.length, normalize: config.genome.normalize, groups: config.genome.layerGroups, density: config.genome.density };
  const sweeps = config.objective === 'pareto' ? sweepWeights(names.length, config.sweeps) : [names.map(() => 1)];
  const lambda = config.popsize ?? 4 + Math.floor(3 * Math.log(genomeSize(spec)));
  const perSweep = Math.floor(config.maxEvaluations / sweeps.length);
  if (perSweep < lambda) {
    throw new UsageError(`merge-search: maxEvaluations ${config.maxEvaluations} gives each of ${sweeps.length} sweep(s) ${perSweep} evaluations, less than one generation (λ = ${lambda}); raise it to at least ${lambda * sweeps.length}`);
  }
  const directions = definitions.map((d) => d.definition.direction);
  const orient = (scores: readonly number[]) => scores.map((s, j) => (directions[j] === 'lower' ? -s : s));
  const weightOf = config.evaluators.map((e) => e.weight);
  const scalar = (scores: readonly number[], mix: readonly number[]) => {
    const o = orient(scores);
    const w = weightOf.map((v, j) => v * mix[j]);
    const total = w.reduce((a, b) => a + b, 0);
    return o.reduce((a, v, j) => a + w[j] * v, 0) / total;
  };

  const pool = CheckpointPool.open(
    config.pool.map((p) => ctx.resolve(p, 'model')),
    config.base ? ctx.resolve(config.base, 'model') : undefined,
  );
  const sessions: EvaluatorSession[] = [];
  try {
    for (let i = 0; i < definitions.length; i++) {
      sessions.push(await definitions[i].definition.open(definitions[i].config, { engine: ctx.engine, resolve: ctx.resolve, seed: ctx.seed, reporter: ctx.reporter }));
    }
    const stateFile = join(ctx.outDir, 'search-state.json');
    const cacheFile = join(ctx.outDir, 'evaluations.jsonl');
    const fingerprint = createHash('sha256').update(JSON.stringify({ config, seed: ctx.seed })).digest('hex').slice(0, 16);
    let state: SearchState = { fingerprint, sweep: 0, es: null, stops: [] };
    const cache = new Map<string, Candidate>();
    if (ctx.resume && existsSync(stateFile)) {
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as SearchState;
      if (saved.fingerprint !== fingerprint) throw new UsageError(`${stateFile}: saved by a search with other options or seed; remove it or rerun without --resume`);
      state = saved;
      if (existsSync(cacheFile)) {
        for (const line of readFileSync(cacheFile, 'utf8').split('\n')) {
          if (!line.trim()) continue;
          try {
            const c = JSON.parse(line) as Candidate & { key: string };
            cache.set(c.key, { label: c.label, weights: c.weights, density: c.density, scores: c.scores.map((s) => (s === null ? NaN : s)), failed: c.failed });
          } catch {
            // a line cut short by a kill: that candidate is evaluated again
          }
        }
      }
    } else {
      rmSync(stateFile, { force: true });
      rmSync(cacheFile, { force: true });
    }

    const evaluate = async (decoded: DecodedGenome, label: string): Promise<Candidate> => {
      const key = keyOf(decoded);
      const hit = cache.get(key);
      if (hit) return hit;
      pool.apply(ctx.engine, method.id, decoded);
      const scores: number[] = [];
      let failed: string | undefined;
      for (let j = 0; j < sessions.length; j++) {
        let s: number;
        try {
          s = await sessions[j].evaluate(pool.model, pool.tokenizer);
          if (typeof s !== 'number' || !Number.isFinite(s)) throw new Error(`returned ${String(s)}, not a finite number`);
        } catch (err) {
          if (config.onFailure === 'error') throw new AyaError(`merge-search: evaluator '${names[j]}' failed on ${label}: ${errorMessage(err)}`, { cause: err });
          failed = `${names[j]}: ${errorMessage(err)}`;
          s = NaN;
        }
        scores.push(s);
      }
      const c: Candidate = { label, weights: decoded.weights, density: decoded.density, scores, failed };
      cache.set(key, c);
      appendFileSync(cacheFile, JSON.stringify({ key, ...c, scores: scores.map((s) => (Number.isFinite(s) ? s : null)) }) + '\n');
      return c;
    };

    const groupsOf = (w: number[]) => Array.from({ length: spec.groups }, () => w);
    const fullDensity = spec.density ? Array.from({ length: spec.groups }, () => Array(spec.models).fill(1)) : undefined;
    const singles: Candidate[] = [];
    for (let i = 0; i < spec.models; i++) {
      singles.push(await evaluate({ weights: groupsOf(Array.from({ length: spec.models }, (_, k) => (k === i ? 1 : 0))), ...(fullDensity ? { density: fullDensity } : {}) }, `checkpoint ${i + 1}`));
    }
    const uniform = await evaluate(decodeGenome(spec, initialGenome(spec)), 'uniform soup');

    const task = ctx.reporter.progress(`${ctx.stage}: CMA-ES over ${genomeSize(spec)} genes, λ ${lambda}, ${sweeps.length} sweep(s)`, perSweep * sweeps.length);
    task.tick(state.sweep * perSweep);
    for (; state.sweep < sweeps.length; state.sweep++) {
      const mix = sweeps[state.sweep];
      const es = state.es ? new CmaEs({ state: state.es }) : new CmaEs({ x0: initialGenome(spec), sigma0: config.sigma0, seed: mixSeed(ctx.seed, state.sweep), popsize: config.popsize, maxfevals: perSweep });
      if (es.state.evaluations > 0) task.tick(es.state.evaluations);
      for (let reason = es.stop(); ; reason = es.stop()) {
        if (reason) {
          state.stops.push(reason);
          break;
        }
        const xs = es.ask();
        const fs: number[] = [];
        for (const x of xs) {
          const c = await evaluate(decodeGenome(spec, es.feasible(x)), `sweep ${state.sweep + 1} candidate`);
          fs.push(c.failed ? Infinity : -scalar(c.scores, mix));
        }
        es.tell(xs, fs);
        state.es = es.state;
        writeJsonAtomic(stateFile, state);
        task.tick(xs.length, `best ${(-(es.state.best?.f ?? NaN)).toFixed(4)}`);
      }
      state.es = null;
      writeJsonAtomic(stateFile, { ...state, sweep: state.sweep + 1 });
    }
    task.done(`${cache.size} merges evaluated`);

    const archive = [...cache.values()].filter((c) => !c.failed);
    const macro = (c: Candidate) => (c.failed ? -Infinity : scalar(c.scores, names.map(() => 1)));
    const best = archive.reduce((a, c) => (macro(c) > macro(a) ? c : a), archive[0]);
    const front = paretoFront(archive.map((c) => orient(c.scores))).map((i) => archive[i]);
    pool.apply(ctx.engine, method.id, { weights: best.weights, density: best.density });
    return { names, directions, best: { ...best, label: 'best merge' }, singles, uniform, front, evaluations: cache.size, stops: state.stops, macro, pool };
  } catch (err) {
    pool.dispose();
    throw err;
  } finally {
    for (const s of sessions) s.dispose?.();
  }
}
