import { evaluateSetting, mergeTensors, mergeWeights, tensorDepth } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import mergePlugin, { kthLargestMagnitude, slerp, trimByMagnitude } from '@aya-fw/plugin-merge';

const f = (...v: number[]) => Float32Array.from(v);
const close = (got: Float32Array, want: number[], digits = 6) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));

describe('parameter settings (mergekit evaluate_setting)', () => {
  it('interpolates gradients across depth and applies the first matching filter', () => {
    expect(evaluateSetting(0.3, 'x', 0.7)).toBe(0.3);
    expect(evaluateSetting([0, 0.5, 1], 'x', 0.25)).toBeCloseTo(0.25);
    expect(evaluateSetting([0, 1, 0], 'x', 0.5)).toBeCloseTo(1);
    expect(evaluateSetting([0, 1, 0], 'x', 0.75)).toBeCloseTo(0.5);
    expect(evaluateSetting([0.2, 0.8], 'x', 1)).toBeCloseTo(0.8);
    const setting = [{ filter: 'self_attn', value: [0, 1] }, { filter: 'mlp', value: 0.7 }, { value: 0.5 }];
    expect(evaluateSetting(setting, 'model.layers.1.self_attn.q_proj.weight', 0.5)).toBeCloseTo(0.5);
    expect(evaluateSetting(setting, 'model.layers.1.mlp.up_proj.weight', 0.5)).toBe(0.7);
    expect(evaluateSetting(setting, 'model.norm.weight', 1)).toBe(0.5);
    expect(evaluateSetting([{ filter: 'mlp', value: 1 }], 'lm_head.weight', 1)).toBeUndefined();
  });

  it('places layer i of L at i/(L−1) and every tensor outside the layer stack at t = 0, as mergekit plans them', () => {
    expect(tensorDepth('model.embed_tokens.weight', 4).t).toBe(0);
    expect(tensorDepth('model.layers.2.mlp.up_proj.weight', 5)).toEqual({ t: 0.5, layer: 2 });
    expect(tensorDepth('transformer.h.3.attn.c_attn.weight', 4)).toEqual({ t: 1, layer: 3 });
    expect(tensorDepth('model.norm.weight', 4).t).toBe(0);
    expect(tensorDepth('lm_head.weight', 4).t).toBe(0);
    expect(tensorDepth('transformer.ln_f.weight', 4).t).toBe(0);
  });
});

describe('merge methods (closed forms)', () => {
  const engine = () => createTestEngine({ plugins: [mergePlugin] });

  it('linear: Σ wᵢθᵢ / Σ wᵢ, or the plain weighted sum without normalize', async () => {
    const e = await engine();
    const a = f(1, 2, 3);
    const b = f(5, 6, -1);
    close(mergeTensors(e, { method: 'linear', weights: [1, 3] }, [a, b]), [4, 5, 0]);
    close(mergeTensors(e, { method: 'linear', weights: [1, 3], parameters: { normalize: false } }, [a, b]), [16, 20, 0]);
  });

  it('task arithmetic: θ_base + λ·Σ wᵢτᵢ', async () => {
    const e = await engine();
    const base = f(1, 1, 1);
    close(mergeTensors(e, { method: 'task-arithmetic', weights: [0.5, 2], parameters: { lambda: 2 } }, [f(3, 1, 0), f(1, 2, 1)], { base }), [3, 5, 0]);
  });

  it('TIES: trim to density, elect signs by the weighted sum, disjoint weighted mean', async () => {
    const e = await engine();
    const base = f(0, 0, 0, 0);
    const out = mergeTensors(e, { method: 'ties', weights: [1, 1], modelParameters: [{ density: 0.5 }, { density: 0.5 }] }, [f(1, -2, 3, 0.1), f(-1, -1, 2, 0.2)], { base });
    close(out, [-1, -2, 2.5, 0]);
    // Without trimming: weighted task vectors (3, −1) and (2, 2); in the second entry the sum 1 elects +,
    // so −1 is left out of both the sum and the divisor.
    close(mergeTensors(e, { method: 'ties', weights: [1, 2] }, [f(3, -1), f(1, 1)], { base: f(0, 0) }), [(3 + 2) / 3, 2 / 2]);
  });

  it('DARE at density 1 is task arithmetic; below it drops a share 1 − density and rescales to the L1 norm (mergekit) or by 1/density (the paper)', async () => {
    const e = await engine();
    const base = new Float32Array(20000);
    const x = Float32Array.from(base, (_, i) => 1 + (i % 7));
    const plain = mergeTensors(e, { method: 'task-arithmetic', weights: [1] }, [x], { base });
    close(mergeTensors(e, { method: 'dare-linear', weights: [1] }, [x], { base }), Array.from(plain));
    const l1 = (a: Float32Array) => a.reduce((s, v) => s + Math.abs(v), 0);
    const spec = (parameters = {}) => ({ method: 'dare-linear', weights: [1], parameters, modelParameters: [{ density: 0.3 }], seed: 7 });
    const paper = mergeTensors(e, spec({ rescale_by_density: true }), [x], { base, name: 'w' });
    expect(paper.filter((v) => v !== 0).length / x.length).toBeCloseTo(0.3, 1);
    expect(paper.reduce((m, v, i) => (v === 0 ? m : Math.max(m, Math.abs(v - x[i] / 0.3))), 0)).toBeLessThan(1e-4);
    // mergekit: the same mask, every kept entry scaled by ‖x‖₁ / ‖kept‖₁, so the L1 norm is exact.
    const matched = mergeTensors(e, spec(), [x], { base, name: 'w' });
    const kept = Float32Array.from(paper, (v) => v * 0.3);
    const s = l1(x) / l1(kept);
    const worst = (got: Float32Array, want: (i: number) => number) => got.reduce((m, v, i) => Math.max(m, Math.abs(v - want(i))), 0);
    expect(worst(matched, (i) => kept[i] * s)).toBeLessThan(1e-3);
    expect(l1(matched) / l1(x)).toBeCloseTo(1, 5);
    expect(Array.from(mergeTensors(e, spec(), [x], { base, name: 'w' }))).toEqual(Array.from(matched));
    expect(Array.from(mergeTensors(e, { ...spec(), seed: 8 }, [x], { base, name: 'w' }))).not.toEqual(Array.from(matched));
    const unscaled = mergeTensors(e, spec({ rescale: false }), [x], { base, name: 'w' });
    expect(worst(unscaled, (i) => kept[i])).toBeLessThan(1e-5);
    const ties = mergeTensors(e, { method: 'dare-ties', weights: [1, 1], modelParameters: [{ density: 1 }, { density: 1 }] }, [f(2, -1), f(-4, -1)], { base: f(0, 0) });
    close(ties, [-4, -2]);
  });

  it('Model Breadcrumbs: drop the gamma share of largest entries and the smallest, down to density', async () => {
    const e = await engine();
    const x = f(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const base = new Float32Array(10);
    const run = (density: number, gamma: number, method = 'breadcrumbs') => Array.from(mergeTensors(e, { method, weights: [1], modelParameters: [{ density, gamma }] }, [x], { base }));
    // n = 10, density 0.5, gamma 0.1: one outlier (10) and the four smallest go.
    expect(run(0.5, 0.1)).toEqual([0, 0, 0, 0, 5, 6, 7, 8, 9, 0]);
    // gamma·n < 1 drops no outlier: the top five stay (mergekit's [n_bot:-0] would keep nothing).
    expect(run(0.5, 0.01)).toEqual([0, 0, 0, 0, 0, 6, 7, 8, 9, 10]);
    // Too many outliers for the density: fewer are dropped.
    expect(run(0.8, 0.5)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0]);
    expect(run(1, 0.1)).toEqual(Array.from(x));
    expect(run(0, 0.1)).toEqual(new Array(10).fill(0));
    // breadcrumbs_ties: the same trim, then sign election: (+5, −3) at one entry elects + and keeps 5 alone.
    const ties = mergeTensors(e, { method: 'breadcrumbs-ties', weights: [1, 1], modelParameters: [{ density: 1 }, { density: 1 }] }, [f(5, 1), f(-3, 1)], { base: f(0, 0) });
    close(ties, [5, 2]);
  });

  it('DELLA: keep probability rises linearly with the magnitude rank in each row, from density − ε to density + ε', async () => {
    const e = await engine();
    const rows = 4000;
    const cols = 5;
    const x = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7) % cols) + 1 + (i % 3) * 0.01);
    const base = new Float32Array(x.length);
    const out = mergeTensors(e, { method: 'della-linear', weights: [1], parameters: { rescale: false }, modelParameters: [{ density: 0.5, epsilon: 0.4 }], seed: 3 }, [x], { base, name: 'w', shape: [rows, cols] });
    // In each row the entries' magnitude ranks are 0..4, kept with p = 0.1, 0.3, 0.5, 0.7, 0.9.
    const keptByRank = new Array(cols).fill(0);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const order = row.map((v, c) => [v, c]).sort((a, b) => a[0] - b[0]).map(([, c]) => c);
      order.forEach((c, rank) => {
        if (out[r * cols + c] !== 0) keptByRank[rank]++;
      });
    }
    keptByRank.forEach((k, rank) => expect(Math.abs(k / rows - (0.1 + 0.2 * rank))).toBeLessThan(0.03));
    // The paper's rescale divides each kept entry by its keep probability; mergekit's default matches the L1 norm.
    const paper = mergeTensors(e, { method: 'della-linear', weights: [1], parameters: { rescale_by_density: true }, modelParameters: [{ density: 0.5, epsilon: 0.4 }], seed: 3 }, [x], { base, name: 'w', shape: [rows, cols] });
    const first = Array.from(x.subarray(0, cols)).map((v, c) => [v, c]).sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    first.forEach((c, rank) => paper[c] !== 0 && expect(paper[c]).toBeCloseTo(x[c] / (0.1 + 0.2 * rank), 4));
    const l1 = (a: Float32Array) => a.reduce((s, v) => s + Math.abs(v), 0);
    const matched = mergeTensors(e, { method: 'della-linear', weights: [1], modelParameters: [{ density: 0.5, epsilon: 0.4 }], seed: 3 }, [x], { base, name: 'w', shape: [rows, cols] });
    expect(l1(matched) / l1(x)).toBeCloseTo(1, 4);
    // mergekit refuses density ± ε outside (0, 1), and so do we, before merging anything.
    expect(() => mergeTensors(e, { method: 'della', weights: [1], parameters: { density: 0.66, epsilon: 1.35 } }, [x], { base, name: 'w' })).toThrow(
      "merge 'della', tensor w: epsilon 1.35 must keep density ± epsilon inside (0, 1) (density 0.66)",
    );
    expect(() => mergeTensors(e, { method: 'ties', weights: [1], modelParameters: [{ density: -0.5 }] }, [x], { base, name: 'w' })).toThrow('density -0.5 is outside [0, 1]');
  });

  it('Model Stock: t = N·cos/(1 + (N−1)·cos) of the offsets from the base, per tensor or per row', async () => {
    const e = await engine();
    const stock = (a: number[], b: number[], parameters = {}, shape?: number[]) =>
      Array.from(mergeTensors(e, { method: 'model-stock', parameters }, [f(...a), f(...b)], { base: new Float32Array(a.length), shape }));
    // Orthogonal offsets: cos 0, t = 0, the base. Parallel: cos 1, t = 1, the mean.
    close(Float32Array.from(stock([1, 0], [0, 1])), [0, 0]);
    close(Float32Array.from(stock([1, 1], [2, 2])), [1.5, 1.5]);
    // 45°: cos = 1/√2, t = 2c/(1 + c) = 0.828427; the mean (1, 0.5) scaled by t.
    close(Float32Array.from(stock([1, 0], [1, 1])), [0.828427, 0.414214]);
    // filter_wise: each row gets its own t.
    close(Float32Array.from(stock([1, 0, 1, 1], [0, 1, 2, 2], { filter_wise: true }, [2, 2])), [0, 0, 1.5, 1.5]);
    expect(() => mergeTensors(e, { method: 'model-stock' }, [f(1)], { base: f(0) })).toThrow('model_stock needs the base and at least two other models');
  });

  it('NuSLERP: t = w₁/(w₀+w₁), slerp per flattened tensor, row or column; of task vectors with a base', async () => {
    const e = await engine();
    const nu = (a: Float32Array, b: Float32Array, weights: number[], parameters = {}, base?: Float32Array) =>
      mergeTensors(e, { method: 'nuslerp', weights, parameters }, [a, b], { base, shape: [2, 2] });
    const v0 = f(1, 0, 1, 0);
    const v1 = f(1, 0, 0, 1);
    // Rows: row 0 is parallel (lerp), row 1 orthogonal (sin 45° each).
    close(nu(v0, v1, [1, 1], { nuslerp_flatten: false }), [1, 0, Math.SQRT1_2, Math.SQRT1_2]);
    // Columns: column 0 (1,1)→(1,0) is 45° apart, so each gets sin(22.5°)/sin(45°) = 0.541196; column 1 starts at zero.
    close(nu(v0, v1, [1, 1], { nuslerp_flatten: false, nuslerp_row_wise: true }), [1.082392, 0, 0.541196, Math.SQRT1_2]);
    // Flattened: cos = 1/2, θ = 60°, t = 0.25 → sin(45°)/sin(60°) and sin(15°)/sin(60°).
    const a = Math.sin(Math.PI / 4) / Math.sin(Math.PI / 3);
    const b = Math.sin(Math.PI / 12) / Math.sin(Math.PI / 3);
    close(nu(v0, v1, [3, 1]), [a + b, 0, a, b]);
    // Weights summing to zero: t = 0.5. A base: slerp of the task vectors, added back.
    close(nu(f(2, 1, 1, 1), f(1, 2, 1, 1), [-0.5, 0.5], {}, f(1, 1, 1, 1)), [Math.SQRT1_2 + 1, Math.SQRT1_2 + 1, 1, 1]);
  });

  it('Multi-SLERP and Karcher: spherical means of any number of models, scaled by the mean norm', async () => {
    const e = await engine();
    // Multi-SLERP's tangent step vanishes at the weighted mean direction: the result is that direction times Σ wᵢ‖xᵢ‖.
    close(mergeTensors(e, { method: 'multislerp', weights: [1, 1] }, [f(2, 0), f(0, 1)]), [1.5 * Math.SQRT1_2, 1.5 * Math.SQRT1_2]);
    const dir = Math.hypot(0.75, 0.25);
    close(mergeTensors(e, { method: 'multislerp', weights: [3, 1] }, [f(1, 0), f(0, 1)]), [0.75 / dir, 0.25 / dir]);
    close(mergeTensors(e, { method: 'multislerp', weights: [1, 1, 1] }, [f(1, 0, 0), f(0, 1, 0), f(0, 0, 1)]), [1, 1, 1].map((v) => v / Math.sqrt(3)));
    // Two antipodal inputs fall back to the weighted sum; with a base, of the task vectors.
    close(mergeTensors(e, { method: 'multislerp', weights: [1, 1] }, [f(2, 1), f(0, 1)], { base: f(1, 1) }), [1, 1]);
    expect(() => mergeTensors(e, { method: 'multislerp', weights: [1, 1, 2] }, [f(1, 0), f(-1, 0), f(0, 0)])).toThrow('cancel out');
    // Karcher: on a circle the Riemannian mean of directions at 0°, 60° and 90° is at their mean angle, 50°
    // (the normalised Euclidean mean would be at 51.2°).
    const deg = (a: number) => f(Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180));
    close(mergeTensors(e, { method: 'karcher', parameters: { max_iter: 100, tol: 1e-9 } }, [deg(0), deg(60), deg(90)]), [Math.cos((50 * Math.PI) / 180), Math.sin((50 * Math.PI) / 180)], 5);
    close(mergeTensors(e, { method: 'karcher' }, [f(2, 0), f(0, 1)]), [1.5 * Math.SQRT1_2, 1.5 * Math.SQRT1_2], 5);
    // Zero vectors take no part in the direction but count in the mean norm; all zero gives zeros.
    close(mergeTensors(e, { method: 'karcher' }, [f(0, 0), f(0, 4)]), [0, 2]);
    close(mergeTensors(e, { method: 'karcher' }, [f(0, 0), f(0, 0)]), [0, 0]);
    // The base takes part as one more input, as mergekit gathers it.
    close(mergeTensors(e, { method: 'karcher' }, [f(3, 0)], { base: f(0, 3) }), [3 * Math.SQRT1_2, 3 * Math.SQRT1_2], 5);
  });

  it('SCE: select positions by variance, weigh models by mean τ², erase minority signs', async () => {
    const e = await engine();
    const base = f(0, 0, 0);
    const a = f(1, -2, 0.5);
    const b = f(3, 1, 0.5);
    // Energies 1.75 and 3.41667: weights 0.33871 and 0.66129; entry 1's sum −1 elects −, so only a counts there.
    close(mergeTensors(e, { method: 'sce' }, [a, b], { base }), [(1 * 0.338710 + 3 * 0.661290) / 1, -2, 0.5], 4);
    // select_topk 0.5: variances (1, 2.25, 0), two non-zero → keep the one of largest variance.
    close(mergeTensors(e, { method: 'sce', parameters: { select_topk: 0.5 } }, [a, b], { base }), [0, -2, 0]);
    expect(() => mergeTensors(e, { method: 'sce', parameters: { select_topk: 2 } }, [a, b], { base })).toThrow('select_topk 2 is outside [0, 1]');
  });

  it('RAM and RAM+: unique changes kept whole, shared ones averaged; RAM+ boosts each model’s unique entries', async () => {
    const e = await engine();
    const base = f(0, 0, 0, 0);
    const a = f(1, 2, 0, 1e-6);
    const b = f(3, 0, 0, 0);
    close(mergeTensors(e, { method: 'ram' }, [a, b], { base }), [2, 2, 0, 0]);
    // a: 1 shared, 1 unique → ρ = 1, λ = 1 + 0.1·min(0.2, 1) = 1.02.
    close(mergeTensors(e, { method: 'ramplus-tl' }, [a, b], { base }), [2, 2.04, 0, 0]);
    close(mergeTensors(e, { method: 'ramplus-tl', parameters: { r: 0.05, alpha: 1 } }, [a, b], { base }), [2, 2.1, 0, 0]);
  });

  it('NearSwap and Arcee Fusion: take the other model only where it is near (NearSwap) or where its change stands out (Fusion)', async () => {
    const e = await engine();
    const zero = new Float32Array(3);
    close(mergeTensors(e, { method: 'nearswap', parameters: { t: 0.0001 }, baseIndex: 0 }, [zero, f(0.0001, 1, 0.00005)]), [0.0001, 0.0001, 0.00005], 8);
    close(mergeTensors(e, { method: 'nearswap', parameters: { t: 0.0001 }, baseIndex: 0 }, [f(1, 2, 3), f(1, 2, 3)]), [1, 2, 3]);
    // |Δ| = 1..7 and 100 on one row: importance ∝ |Δ|; median 4, IQR 6 − 2 → only entries ≥ 10 pass.
    const b = f(1, 2, 3, 4, 5, 6, 7, 100);
    expect(Array.from(mergeTensors(e, { method: 'arcee-fusion', baseIndex: 0 }, [new Float32Array(8), b]))).toEqual([0, 0, 0, 0, 0, 0, 0, 100]);
  });

  it('passthrough copies its one input, times scale; slerp ignores weights as mergekit does', async () => {
    const e = await engine();
    close(mergeTensors(e, { method: 'passthrough', modelParameters: [{ scale: 2 }] }, [f(1, -2)]), [2, -4]);
    close(mergeTensors(e, { method: 'passthrough' }, [f(1, -2)]), [1, -2]);
    expect(() => mergeTensors(e, { method: 'passthrough' }, [f(1), f(2)])).toThrow('passthrough takes exactly one model per tensor');
    close(mergeTensors(e, { method: 'slerp', parameters: { t: 1 }, modelParameters: [{ weight: 0.3 }, { weight: 0.7 }], baseIndex: 0 }, [f(1, 0), f(0, 2)]), [0, 2]);
  });

  it('SLERP: t = 0 is the base, t = 1 the other, halfway between orthogonal vectors is at 45°; near-parallel falls back to lerp', async () => {
    const e = await engine();
    const base = f(1, 0);
    const other = f(0, 2);
    close(mergeTensors(e, { method: 'slerp', parameters: { t: 0 }, baseIndex: 0 }, [base, other]), [1, 0]);
    close(mergeTensors(e, { method: 'slerp', parameters: { t: 1 }, baseIndex: 0 }, [base, other]), [0, 2]);
    close(slerp(0.5, base, other), [Math.SQRT1_2, Math.SQRT2]);
    close(slerp(0.25, f(1, 1), f(2, 2.0001)), [1.25, 1.250025], 5);
    expect(() => mergeTensors(e, { method: 'slerp', parameters: { t: 0.5 }, baseIndex: 0 }, [base, other, other])).toThrow('slerp merges exactly two models');
  });

  it('top-k by magnitude: the k-th largest magnitude by radix select on the float bits', () => {
    expect(kthLargestMagnitude(f(5, -1, 4, -2, 3), 2)).toBe(4);
    expect(kthLargestMagnitude(f(-5, 1, 4), 1)).toBe(5);
    expect(kthLargestMagnitude(f(2, -2, 2, 1), 3)).toBe(2);
    expect(kthLargestMagnitude(f(2, -2, 2, 1), 4)).toBe(1);
    // Values in one high-bits bin, told apart by the low bits.
    expect(kthLargestMagnitude(f(1.0000001, 1.0000002, 1.0000004, 1), 2)).toBe(Math.fround(1.0000002));
    expect(Array.from(trimByMagnitude(f(0.5, -3, 2, -1), 0.5))).toEqual([0, -3, 2, 0]);
  });

  it('validate their inputs: weight-list length, unknown parameters, missing weights, unknown methods', async () => {
    const e = await engine();
    expect(() => mergeTensors(e, { method: 'linear', weights: [1, 2, 3] }, [f(1), f(2)])).toThrow("merge 'linear': 3 weights for 2 models; give one weight per model");
    expect(() => mergeTensors(e, { method: 'linear', weights: [1, 1], parameters: { densty: 0.5 } }, [f(1), f(2)])).toThrow(
      "parameters.densty: merge method 'linear' has no parameter 'densty' (its parameters: normalize, weight)",
    );
    expect(() => mergeTensors(e, { method: 'linear' }, [f(1), f(2)])).toThrow("models[0]: parameter 'weight' is required by merge method 'linear'");
    expect(() => mergeTensors(e, { method: 'ties', weights: [1] }, [f(1)])).toThrow("merge method 'ties' needs a base model");
    expect(() => mergeTensors(e, { method: 'tiez', weights: [1] }, [f(1)])).toThrow("unknown merge method 'tiez' (did you mean 'ties'?)");
  });

  it('merge whole in-memory models with gradient parameters over depth', async () => {
    const e = await engine();
    const model = (v: number) =>
      new Map([
        ['model.embed_tokens.weight', f(v)],
        ['model.layers.0.mlp.up_proj.weight', f(v)],
        ['model.layers.1.mlp.up_proj.weight', f(v)],
        ['model.norm.weight', f(v)],
      ]);
    const merged = mergeWeights(e, { method: 'slerp', parameters: { t: [0, 1] }, baseIndex: 0 }, [model(1), model(3)], { numLayers: 2 });
    // Layers at t = 0 and 1; the embeddings and the final norm at t = 0 (the base).
    expect([...merged.values()].map((x) => x[0])).toEqual([1, 1, 3, 1]);
  });
});
