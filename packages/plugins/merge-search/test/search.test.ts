import { definePlugin, initModel, parameterValues, parseModelConfig, savePretrained, type EvaluatorDefinition, type PretrainedModel } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import mergePlugin from '@aya-fw/plugin-merge';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mergeSearchPlugin, { decodeGenome, MergeSearchConfigSchema, paretoFront, runMergeSearch, simplex, sweepWeights, tensorGroup } from '../src';

const CONFIG = { model_type: 'llama', vocab_size: 32, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 2, max_position_embeddings: 16, initializer_range: 0.5 };

function pool(seeds: number[], config: object = CONFIG): { dirs: string[]; values: Map<string, Float32Array>[] } {
  const root = mkdtempSync(join(tmpdir(), 'aya-pool-'));
  const models = seeds.map((seed) => initModel(parseModelConfig(config), { seed }));
  const dirs = models.map((m, i) => {
    const dir = join(root, `m${i}`);
    savePretrained(m, dir);
    return dir;
  });
  const values = models.map(parameterValues);
  models.forEach((m) => m.dispose());
  return { dirs, values };
}

/** −‖θ − Σ aᵢθᵢ‖² / size: maximal (0) exactly at the merge weights `a`. */
function distanceTo(values: Map<string, Float32Array>[], a: number[]) {
  const target = new Map([...values[0].keys()].map((name) => [name, values[0].get(name)!.map((_, k) => values.reduce((s, v, i) => s + a[i] * v.get(name)![k], 0))]));
  return (model: PretrainedModel) => {
    let d = 0;
    let n = 0;
    for (const [name, v] of model.namedParameters()) {
      const x = v.dataSync();
      const t = target.get(name)!;
      for (let k = 0; k < x.length; k++) d += (x[k] - t[k]) ** 2;
      n += x.length;
    }
    return -d / n;
  };
}

function evaluators(fns: Record<string, (m: PretrainedModel) => number>, opened: string[] = []) {
  return definePlugin({
    name: 'test-evaluators',
    contributes: {
      evaluators: Object.entries(fns).map(([id, f]): EvaluatorDefinition => ({ id, description: id, direction: 'higher', open: () => (opened.push(id), { evaluate: (m) => f(m) }) })),
    },
  });
}

const context = async (plugins: ReturnType<typeof evaluators>, outDir = mkdtempSync(join(tmpdir(), 'aya-search-')), resume = false) => ({
  engine: await createTestEngine({ plugins: [mergePlugin, mergeSearchPlugin, plugins] }),
  reporter: { info() {}, warn() {}, progress: () => ({ tick() {}, done() {} }), result() {} } as never,
  stage: 'search',
  outDir,
  seed: 0,
  resume,
  resolve: (p: string) => p,
});

describe('genomes', () => {
  it('map to the simplex by |g|/Σ|g| or softmax, with densities clamped to [0, 1]', () => {
    expect(simplex([1, -1, 2], 'abs')).toEqual([0.25, 0.25, 0.5]);
    expect(simplex([0, 0], 'abs')).toEqual([0.5, 0.5]);
    const s = simplex([0, Math.log(3)], 'softmax');
    expect(s[0]).toBeCloseTo(0.25, 12);
    expect(decodeGenome({ models: 2, normalize: 'abs', groups: 1, density: true }, [1, 3, 1.5, -0.4])).toEqual({ weights: [[0.25, 0.75]], density: [[1, 0.4]] });
  });

  it('group tensors along the layer stack: embeddings first, final norm and head last', () => {
    expect(tensorGroup('model.layers.0.self_attn.q_proj.weight', 4, 2)).toBe(0);
    expect(tensorGroup('model.layers.3.mlp.up_proj.weight', 4, 2)).toBe(1);
    expect(tensorGroup('model.embed_tokens.weight', 4, 2)).toBe(0);
    expect(tensorGroup('lm_head.weight', 4, 2)).toBe(1);
    expect(tensorGroup('lm_head.weight', 4, 1)).toBe(0);
  });

  it('Pareto fronts keep exactly the non-dominated points; sweeps start at the corners', () => {
    expect(paretoFront([[1, 0], [0, 1], [0.5, 0.5], [0.4, 0.4], [1, 0]])).toEqual([0, 1, 2]);
    expect(sweepWeights(2, 3)).toEqual([[1, 0], [0.5, 0.5], [0, 1]]);
    expect(sweepWeights(3, 5).slice(0, 3)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    for (const w of sweepWeights(3, 6)) expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('merge-weight search', () => {
  it('recovers the weights of a synthetic objective with a known optimum over real checkpoints, leaking nothing', async () => {
    const { dirs, values } = pool([1, 2, 3]);
    const ctx = await context(evaluators({ target: distanceTo(values, [0.2, 0.5, 0.3]) }));
    const before = liveTensors();
    const config = MergeSearchConfigSchema.parse({ pool: dirs, evaluators: [{ id: 'target' }], maxEvaluations: 300 });
    const r = await runMergeSearch(ctx, config);
    r.pool.dispose();
    expect(liveTensors()).toBe(before);
    r.best.weights[0].forEach((w, i) => expect(Math.abs(w - [0.2, 0.5, 0.3][i])).toBeLessThan(0.02));
    expect(r.macro(r.best)).toBeGreaterThan(r.macro(r.uniform));
    expect(r.singles).toHaveLength(3);
  });

  it('a Pareto search over two objectives finds merges near both optima, and none on the front is dominated', async () => {
    const { dirs, values } = pool([4, 5, 6]);
    const ctx = await context(evaluators({ a: distanceTo(values, [0.7, 0.3, 0]), b: distanceTo(values, [0, 0.3, 0.7]) }));
    const config = MergeSearchConfigSchema.parse({ pool: dirs, evaluators: [{ id: 'a' }, { id: 'b' }], objective: 'pareto', sweeps: 3, maxEvaluations: 360 });
    const r = await runMergeSearch(ctx, config);
    r.pool.dispose();
    const best = (j: number) => Math.max(...r.front.map((c) => c.scores[j]));
    expect(best(0)).toBeGreaterThan(-1e-3);
    expect(best(1)).toBeGreaterThan(-1e-3);
    for (const c of r.front) for (const d of r.front) expect(d.scores.every((v, j) => v >= c.scores[j]) && d.scores.some((v, j) => v > c.scores[j])).toBe(false);
  });

  it('a search stopped part-way resumes from its saved state to the uninterrupted result', async () => {
    const { dirs, values } = pool([7, 8, 9, 10]);
    const f = distanceTo(values, [0.1, 0.4, 0.4, 0.1]);
    const config = MergeSearchConfigSchema.parse({ pool: dirs, evaluators: [{ id: 'target' }], maxEvaluations: 80 });
    const whole = await runMergeSearch(await context(evaluators({ target: f })), config);
    whole.pool.dispose();
    const outDir = mkdtempSync(join(tmpdir(), 'aya-resume-'));
    let calls = 0;
    const dying = (m: PretrainedModel) => {
      if (++calls === 40) throw new Error('killed');
      return f(m);
    };
    await expect(runMergeSearch(await context(evaluators({ target: dying }), outDir), config)).rejects.toThrow(/evaluator 'target' failed on .*: killed/);
    let again = 0;
    const resumed = await runMergeSearch(await context(evaluators({ target: (m) => (again++, f(m)) }), outDir, true), config);
    resumed.pool.dispose();
    expect(resumed.best.weights).toEqual(whole.best.weights);
    expect(resumed.evaluations).toBe(whole.evaluations);
    expect(again).toBeLessThan(whole.evaluations - 30); // the cache answered what was done before the stop
  });

  it('searches TIES weights and densities per layer group against a base', async () => {
    const { dirs, values } = pool([11, 12, 13]);
    const ctx = await context(evaluators({ target: distanceTo(values.slice(1), [0.5, 0.5]) }));
    const config = MergeSearchConfigSchema.parse({ pool: dirs.slice(1), base: dirs[0], method: 'ties', genome: { density: true, layerGroups: 2 }, evaluators: [{ id: 'target' }], maxEvaluations: 60 });
    const r = await runMergeSearch(ctx, config);
    r.pool.dispose();
    expect(r.best.weights).toHaveLength(2);
    expect(r.best.density).toHaveLength(2);
    for (const group of r.best.density!) for (const d of group) expect(d >= 0 && d <= 1).toBe(true);
    expect(r.macro(r.best)).toBeGreaterThanOrEqual(r.macro(r.uniform));
    await expect(runMergeSearch(ctx, MergeSearchConfigSchema.parse({ ...config, method: 'linear' }))).rejects.toThrow(/genome.density needs a method with a density parameter/);
  });

  it('refuses bad input with one line before any work: mixed shapes, a budget under one generation', async () => {
    const a = pool([1, 2]);
    const b = pool([3], { ...CONFIG, intermediate_size: 32 });
    const opened: string[] = [];
    const ctx = await context(evaluators({ target: () => 0 }, opened));
    await expect(runMergeSearch(ctx, MergeSearchConfigSchema.parse({ pool: [...a.dirs, ...b.dirs], evaluators: [{ id: 'target' }] }))).rejects.toThrow(
      new RegExp(`${b.dirs[0]}: tensor 'model.layers.0.mlp.gate_proj.weight' is 32×16, in ${a.dirs[0]} 24×16`),
    );
    expect(opened).toEqual([]);
    await expect(runMergeSearch(ctx, MergeSearchConfigSchema.parse({ pool: a.dirs, evaluators: [{ id: 'target' }], maxEvaluations: 4 }))).rejects.toThrow(
      /maxEvaluations 4 gives each of 1 sweep\(s\) 4 evaluations, less than one generation \(λ = 6\); raise it to at least 6/,
    );
    await expect(runMergeSearch(ctx, MergeSearchConfigSchema.parse({ pool: a.dirs, evaluators: [{ id: 'nope' }] }))).rejects.toThrow(/unknown evaluator 'nope'/);
  });

  it('an evaluator that returns NaN stops the search naming it, or is scored worst with onFailure: penalize', async () => {
    const { dirs } = pool([1, 2]);
    let n = 0;
    const flaky = () => (++n % 3 === 0 ? NaN : -Math.random());
    const ctx = await context(evaluators({ flaky }));
    await expect(runMergeSearch(ctx, MergeSearchConfigSchema.parse({ pool: dirs, evaluators: [{ id: 'flaky' }], maxEvaluations: 12 }))).rejects.toThrow(/evaluator 'flaky' failed on .*: returned NaN, not a finite number/);
    const r = await runMergeSearch(ctx, MergeSearchConfigSchema.parse({ pool: dirs, evaluators: [{ id: 'flaky' }], maxEvaluations: 12, onFailure: 'penalize' }));
    r.pool.dispose();
    expect(r.best.failed).toBeUndefined();
    expect(Number.isFinite(r.macro(r.best))).toBe(true);
  });
});
