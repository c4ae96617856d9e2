import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAdapter as loadWith, loadPretrained, SafetensorsFile, tf, type Engine, type PretrainedModel } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import peft, { Ia3Adapter, Ia3ConfigSchema, LoraAdapter, LoraConfigSchema, MoloraAdapter, MoloraConfigSchema, MovAdapter, MovConfigSchema, routerProbabilities } from '@aya-fw/plugin-peft';

const HF = resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf');
const expected = (() => {
  const f = SafetensorsFile.open(join(HF, 'expected', 'llama-lora.safetensors'));
  const out = Object.fromEntries([...f.tensors].map(([k, info]) => [k, { shape: [...info.shape], values: f.readFloat32(k) }]));
  f.close();
  return out;
})();

function logits(model: PretrainedModel): Float32Array {
  const [b, s] = expected.input_ids.shape;
  return tf.tidy(() =>
    model
      .forward({ inputIds: tf.tensor2d(Array.from(expected.input_ids.values), [b, s], 'int32'), attentionMask: tf.tensor2d(Array.from(expected.attention_mask.values), [b, s], 'int32') })
      .logits.dataSync() as Float32Array,
  ) as unknown as Float32Array;
}

/** Largest |a − b| where the attention mask is 1. */
function maskedDiff(got: Float32Array, want: Float32Array): number {
  const V = expected.logits.shape[2];
  let worst = 0;
  expected.attention_mask.values.forEach((m, pos) => {
    if (!m) return;
    for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[pos * V + v] - want[pos * V + v]));
  });
  return worst;
}

let engine: Engine;
beforeAll(async () => {
  engine = await createTestEngine({ plugins: [peft] });
});
/** Loads an adapter folder through the engine's adapter registry. */
const loadAdapter = (model: PretrainedModel, dir: string, name?: string) => loadWith(engine, model, dir, name);

describe('LoRA against PEFT 0.21 (fixture adapters/llama-lora)', () => {
  it('reproduces the logits with the adapter, after merge_and_unload, and the merged q_proj', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const base = logits(model);
    const adapter = loadAdapter(model, join(HF, 'adapters', 'llama-lora')) as LoraAdapter;
    expect(adapter).toBeInstanceOf(LoraAdapter);
    expect(adapter.modules.map((m) => m.module)).toContain('model.layers.1.mlp.gate_proj');
    expect(maskedDiff(logits(model), expected.logits.values)).toBeLessThan(1e-4);
    adapter.active = false;
    expect(maskedDiff(logits(model), base)).toBe(0);
    adapter.active = true;
    adapter.mergeAndUnload();
    expect(model.attached.size).toBe(0);
    expect(maskedDiff(logits(model), expected.merged_logits.values)).toBeLessThan(1e-4);
    const q = model.param('model.layers.0.self_attn.q_proj.weight').dataSync();
    expect(Math.max(...Array.from(q, (v, i) => Math.abs(v - expected.merged_layer0_q_proj.values[i])))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('saves in PEFT’s layout and re-loads to the same logits; unmerge restores the base', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const base = logits(model);
    const adapter = loadAdapter(model, join(HF, 'adapters', 'llama-lora')) as LoraAdapter;
    const withAdapter = logits(model);
    const dir = join(mkdtempSync(join(tmpdir(), 'aya-peft-')), 'adapter');
    adapter.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, task_type: 'CAUSAL_LM' });
    const saved = SafetensorsFile.open(join(dir, 'adapter_model.safetensors'));
    const original = SafetensorsFile.open(join(HF, 'adapters', 'llama-lora', 'adapter_model.safetensors'));
    expect([...saved.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
    saved.close();
    original.close();
    adapter.merge();
    expect(maskedDiff(logits(model), withAdapter)).toBeLessThan(1e-4);
    adapter.unmerge();
    adapter.detach();
    expect(maskedDiff(logits(model), base)).toBeLessThan(1e-5);
    // merge + unmerge leave the base weights equal up to f32 rounding.
    const again = loadAdapter(model, dir, 'reloaded');
    expect(maskedDiff(logits(model), withAdapter)).toBeLessThan(1e-5);
    again.detach();
    model.dispose();
  });
});

describe('LoRA and IA3 definitions', () => {
  it('a fresh LoRA adapter is a no-op (B = 0); rsLoRA and patterns set per-module rank and scaling', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const base = logits(model);
    const a = new LoraAdapter(model, LoraConfigSchema.parse({ r: 4, loraAlpha: 16, targetModules: ['q_proj', 'down_proj'], useRslora: true, rankPattern: { down_proj: 2 }, alphaPattern: { 'layers\\.1\\.self_attn\\.q_proj': 4 } }));
    expect(maskedDiff(logits(model), base)).toBe(0);
    const byName = Object.fromEntries(a.modules.map((m) => [m.module, m]));
    expect(byName['model.layers.0.self_attn.q_proj'].scaling).toBeCloseTo(16 / 2);
    expect(byName['model.layers.1.self_attn.q_proj'].scaling).toBeCloseTo(4 / 2);
    expect(byName['model.layers.0.mlp.down_proj'].A.shape).toEqual([2, 128]);
    expect(byName['model.layers.0.mlp.down_proj'].scaling).toBeCloseTo(16 / Math.SQRT2);
    a.detach();
    model.dispose();
  });

  it('IA3 starts as a no-op, scales feed-forward inputs and other outputs, and merges exactly', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const base = logits(model);
    const adapter = new Ia3Adapter(model, Ia3ConfigSchema.parse({}));
    expect(maskedDiff(logits(model), base)).toBe(0);
    const shapes = Object.fromEntries(adapter.modules.map((m) => [m.module, m.l.shape]));
    expect(shapes['model.layers.0.mlp.down_proj']).toEqual([1, 128]);
    expect(shapes['model.layers.0.self_attn.k_proj']).toEqual([32, 1]);
    for (const m of adapter.modules) m.l.assign(tf.randomUniform(m.l.shape, 0.5, 1.5, 'float32', 7));
    const scaled = logits(model);
    expect(maskedDiff(scaled, base)).toBeGreaterThan(1e-3);
    adapter.mergeAndUnload();
    expect(maskedDiff(logits(model), scaled)).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe('GPT-2 Conv1D layers (PEFT fan_in_fan_out)', () => {
  const ids = [[5, 17, 3, 250, 42, 9, 77, 1]];
  const gptLogits = (model: PretrainedModel) => tf.tidy(() => model.forward({ inputIds: tf.tensor2d(ids, [1, 8], 'int32') }).logits.dataSync() as Float32Array) as unknown as Float32Array;
  const diff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  it('LoRA on c_attn adds s·(x·Aᵀ)·Bᵀ to x·W + b, merges as W + s·(B·A)ᵀ and saves fan_in_fan_out', () => {
    const model = loadPretrained(join(HF, 'models', 'gpt2'));
    const name = 'transformer.h.0.attn.c_attn';
    const W = model.param(`${name}.weight`);
    const [inp, out] = W.shape;
    expect(model.linearShape(name)).toEqual({ inFeatures: inp, outFeatures: out, fanInFanOut: true });
    const adapter = new LoraAdapter(model, LoraConfigSchema.parse({ r: 4, loraAlpha: 8, targetModules: ['c_attn', 'mlp.c_proj'] }));
    expect(adapter.modules.map((m) => m.module)).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.0.mlp.c_proj', 'transformer.h.1.attn.c_attn', 'transformer.h.1.mlp.c_proj']);
    for (const m of adapter.modules) m.B.assign(tf.randomNormal(m.B.shape, 0, 0.05, 'float32', 11));
    const m0 = adapter.modules[0];
    const x = tf.randomNormal([3, inp], 0, 1, 'float32', 4);
    const want = tf.tidy(() => tf.add(tf.add(tf.matMul(x, W), model.param(`${name}.bias`)), tf.mul(tf.matMul(tf.matMul(x, m0.A, false, true), m0.B, false, true), 2)));
    expect(diff(model.linear(name, x).dataSync() as Float32Array, want.dataSync() as Float32Array)).toBeLessThan(1e-5);
    const withAdapter = gptLogits(model);
    const dir = join(mkdtempSync(join(tmpdir(), 'aya-gpt2-lora-')), 'lora');
    adapter.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', fan_in_fan_out: true });
    const before = W.dataSync().slice();
    const delta = tf.tidy(() => tf.transpose(tf.mul(tf.matMul(m0.B, m0.A), 2)).dataSync() as Float32Array);
    adapter.mergeAndUnload();
    expect(diff(gptLogits(model), withAdapter)).toBeLessThan(1e-4);
    expect(diff(W.dataSync() as Float32Array, before.map((v, i) => v + delta[i]))).toBeLessThan(1e-6);
    model.dispose();
    const reloaded = loadPretrained(join(HF, 'models', 'gpt2'));
    loadAdapter(reloaded, dir);
    expect(diff(gptLogits(reloaded), withAdapter)).toBe(0);
    reloaded.dispose();
  });

  it('IA3 scales the input of mlp.c_proj and the output of c_attn, and merges exactly', () => {
    const model = loadPretrained(join(HF, 'models', 'gpt2'));
    const d = model.config.hiddenSize;
    const adapter = new Ia3Adapter(model, Ia3ConfigSchema.parse({ targetModules: ['c_attn', 'mlp.c_proj'], feedforwardModules: ['mlp.c_proj'] }));
    const shapes = Object.fromEntries(adapter.modules.map((m) => [m.module, m.l.shape]));
    expect(shapes['transformer.h.0.attn.c_attn']).toEqual([3 * d, 1]);
    expect(shapes['transformer.h.0.mlp.c_proj']).toEqual([1, model.config.intermediateSize]);
    for (const m of adapter.modules) m.l.assign(tf.randomUniform(m.l.shape, 0.5, 1.5, 'float32', 9));
    const scaled = gptLogits(model);
    adapter.mergeAndUnload();
    expect(diff(gptLogits(model), scaled)).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe('MoV and MoLoRA', () => {
  it('MoV with one expert equals IA3 with the same vectors', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const ia3 = new Ia3Adapter(model, Ia3ConfigSchema.parse({ name: 'ia3' }));
    for (const m of ia3.modules) m.l.assign(tf.randomUniform(m.l.shape, 0.5, 1.5, 'float32', 3));
    const want = logits(model);
    ia3.active = false;
    const mov = new MovAdapter(model, MovConfigSchema.parse({ name: 'mov', numExperts: 1 }));
    for (const m of ia3.modules) {
      const v = mov.parameters.get(`${m.module}.mov_scaling`)!;
      v.assign(tf.reshape(m.l, v.shape));
    }
    expect(maskedDiff(logits(model), want)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('MoLoRA with one expert equals LoRA with the same matrices', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const lora = loadAdapter(model, join(HF, 'adapters', 'llama-lora'), 'lora') as LoraAdapter;
    const want = logits(model);
    lora.active = false;
    const mol = new MoloraAdapter(model, MoloraConfigSchema.parse({ name: 'mol', numExperts: 1, r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj', 'o_proj', 'gate_proj'] }));
    for (const m of lora.modules) {
      mol.parameters.get(`${m.module}.lora_A.weight`)!.assign(tf.reshape(m.A, [1, ...m.A.shape]));
      mol.parameters.get(`${m.module}.lora_B.weight`)!.assign(tf.reshape(m.B, [1, ...m.B.shape]));
    }
    expect(maskedDiff(logits(model), want)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('attaching and detaching any adapter leaves no tensor behind', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const before = tf.memory().numTensors;
    for (const attach of [
      () => new LoraAdapter(model, LoraConfigSchema.parse({ name: 'l' })),
      () => new Ia3Adapter(model, Ia3ConfigSchema.parse({ name: 'i' })),
      () => new MovAdapter(model, MovConfigSchema.parse({ name: 'm', numExperts: 3 })),
      () => new MoloraAdapter(model, MoloraConfigSchema.parse({ name: 'x', numExperts: 3 })),
    ]) {
      const adapter = attach();
      expect(tf.memory().numTensors - before).toBe(adapter.parameters.size);
      adapter.detach();
      expect(tf.memory().numTensors).toBe(before);
    }
    model.dispose();
  });

  it('router outputs sum to 1 per token (and top-k keeps k of them unnormalised)', () => {
    const x = tf.randomNormal([5, 7, 16], 0, 1, 'float32', 1);
    const w = tf.randomNormal([6, 16], 0, 0.5, 'float32', 2);
    const sums = routerProbabilities(x, w, undefined).sum(-1).dataSync();
    sums.forEach((v) => expect(v).toBeCloseTo(1, 5));
    const top = routerProbabilities(x, w, 2).arraySync() as number[][][];
    top.flat().forEach((row) => expect(row.filter((p) => p > 0)).toHaveLength(2));
  });

  it('new mixtures are no-ops, save as adapter folders and re-load to the same logits', () => {
    const model = loadPretrained(join(HF, 'models', 'llama'));
    const base = logits(model);
    const mov = new MovAdapter(model, MovConfigSchema.parse({ numExperts: 4 }));
    // Vectors start at 1, so the mixture is 1 up to the rounding of the softmax's sum.
    expect(maskedDiff(logits(model), base)).toBeLessThan(1e-5);
    for (const v of mov.parameters.values()) v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 5)));
    const trained = logits(model);
    const dir = join(mkdtempSync(join(tmpdir(), 'aya-mov-')), 'mov');
    mov.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'MOV', num_experts: 4 });
    mov.detach();
    loadAdapter(model, dir);
    expect(maskedDiff(logits(model), trained)).toBe(0);
    model.dispose();
  });
});
