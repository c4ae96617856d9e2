import { evaluateSetting, mergeTensors, mergeWeights, tensorDepth } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import mergePlugin, { kthLargest, slerp, trimByMagnitude } from '@aya-fw/plugin-merge';

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

  it('places embeddings at t = 0, layer i of L at i/(L−1), final tensors at t = 1', () => {
    expect(tensorDepth('model.embed_tokens.weight', 4).t).toBe(0);
    expect(tensorDepth('model.layers.2.mlp.up_proj.weight', 5)).toEqual({ t: 0.5, layer: 2 });
    expect(tensorDepth('transformer.h.3.attn.c_attn.weight', 4)).toEqual({ t: 1, layer: 3 });
    expect(tensorDepth('model.norm.weight', 4).t).toBe(1);
    expect(tensorDepth('lm_head.weight', 4).t).toBe(1);
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

  it('DARE at density 1 is task arithmetic; below it drops a share 1 − density and rescales the rest by 1/density', async () => {
    const e = await engine();
    const base = new Float32Array(20000);
    const x = Float32Array.from(base, (_, i) => 1 + (i % 7));
    const plain = mergeTensors(e, { method: 'task-arithmetic', weights: [1] }, [x], { base });
    close(mergeTensors(e, { method: 'dare-linear', weights: [1] }, [x], { base }), Array.from(plain));
    const dropped = mergeTensors(e, { method: 'dare-linear', weights: [1], modelParameters: [{ density: 0.3 }], seed: 7 }, [x], { base, name: 'w' });
    const kept = dropped.filter((v) => v !== 0);
    expect(kept.length / x.length).toBeCloseTo(0.3, 1);
    const worst = dropped.reduce((m, v, i) => (v === 0 ? m : Math.max(m, Math.abs(v - x[i] / 0.3))), 0);
    expect(worst).toBeLessThan(1e-4);
    const total = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(total(dropped) / total(x)).toBeCloseTo(1, 1);
    expect(Array.from(mergeTensors(e, { method: 'dare-linear', weights: [1], modelParameters: [{ density: 0.3 }], seed: 7 }, [x], { base, name: 'w' }))).toEqual(Array.from(dropped));
    const ties = mergeTensors(e, { method: 'dare-ties', weights: [1, 1], modelParameters: [{ density: 1 }, { density: 1 }] }, [f(2, -1), f(-4, -1)], { base: f(0, 0) });
    close(ties, [-4, -2]);
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

  it('top-k by magnitude finds the k-th largest in linear time', () => {
    expect(kthLargest(f(5, 1, 4, 2, 3), 2)).toBe(4);
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
    expect([...merged.values()].map((x) => x[0])).toEqual([1, 1, 3, 3]);
  });
});
