import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axpy, Checkpoint, HookStage, fromFloat32Into, initModel, linearCombinationBf16, scale, ScratchArena, toFloat32Into, loadPretrained, parameterValues, parseModelConfig, runMerge, savePretrained, tensorDepth, UsageError } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import mergePlugin from '@aya-fw/plugin-merge';

const CONFIG = { model_type: 'llama', vocab_size: 32, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 3, num_attention_heads: 2, max_position_embeddings: 16 };

/** A pool of tiny llama checkpoints (base + two "fine-tunes") and a folder for configs. */
function pool(): { dir: string; values: Map<string, Float32Array>[] } {
  const dir = mkdtempSync(join(tmpdir(), 'aya-merge-'));
  const values = [0, 1, 2].map((seed) => {
    const model = initModel(parseModelConfig(CONFIG), { seed, std: 0.5 });
    savePretrained(model, join(dir, `m${seed}`), { dtype: seed === 2 ? 'bfloat16' : 'float32' });
    const v = parameterValues(loadPretrained(join(dir, `m${seed}`)));
    model.dispose();
    return v;
  });
  cpSync(join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf', 'models', 'llama', 'tokenizer.json'), join(dir, 'm0', 'tokenizer.json'));
  return { dir, values };
}

const yaml = (dir: string, text: string) => {
  const file = join(dir, `merge-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return file;
};

describe('aya-fw merge on checkpoints', () => {
  let p: ReturnType<typeof pool>;
  beforeAll(async () => {
    await createTestEngine();
    p = pool();
  });

  it('linear with per-model weights streams a folder transformers loads, in the asked dtype', async () => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const file = yaml(p.dir, 'merge_method: linear\nmodels:\n  - model: m1\n    parameters: { weight: 1 }\n  - model: m2\n    parameters: { weight: 3 }\ndtype: float32\n');
    const out = join(p.dir, 'linear');
    const summary = await runMerge(engine, file, { outDir: out, maxShardSize: 4000 });
    expect(summary.tensors).toBe(p.values[1].size);
    expect(readdirSync(out)).toContain('model.safetensors.index.json');
    const merged = parameterValues(loadPretrained(out));
    for (const [name, v] of merged) {
      const a = p.values[1].get(name)!;
      const b = p.values[2].get(name)!;
      v.forEach((x, i) => expect(x).toBeCloseTo((a[i] + 3 * b[i]) / 4, 5));
    }
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).dtype).toBe('float32');
  });

  it('accepts mergekit snake_case method names', async () => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const file = yaml(p.dir, 'merge_method: task_arithmetic\nbase_model: m0\nmodels:\n  - model: m1\n    parameters: { weight: 1 }\n');
    const out = join(p.dir, 'ta');
    await runMerge(engine, file, { outDir: out });
    const merged = parameterValues(loadPretrained(out));
    const name = 'model.layers.1.self_attn.v_proj.weight';
    merged.get(name)!.forEach((x, i) => expect(x).toBeCloseTo(p.values[1].get(name)![i], 5));
  });

  it('TIES with a gradient density over depth and a bf16 output keeps the base where task vectors vanish', async () => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const file = yaml(
      p.dir,
      'merge_method: ties\nbase_model: m0\nmodels:\n  - model: m0\n  - model: m1\n    parameters: { weight: 1, density: [1, 0] }\n  - model: m2\n    parameters: { weight: 1, density: 1 }\nout_dtype: bfloat16\ntokenizer_source: base\n',
    );
    const out = join(p.dir, 'ties');
    await runMerge(engine, file, { outDir: out });
    const ckpt = Checkpoint.open(out);
    expect(ckpt.info('model.layers.0.mlp.up_proj.weight').dtype).toBe('BF16');
    ckpt.close();
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
    const merged = parameterValues(loadPretrained(out));
    // Last layer: m1's density is 0, so only m2's task vector remains: base + (m2 − base) = m2 (to bf16 precision).
    const last = 'model.layers.2.mlp.up_proj.weight';
    expect(tensorDepth(last, 3).t).toBe(1);
    merged.get(last)!.forEach((x, i) => expect(Math.abs(x - p.values[2].get(last)![i])).toBeLessThan(0.02));
  });

  it('SLERP with t as a layer gradient: the first layer is the base, the last the other model', async () => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const file = yaml(p.dir, 'merge_method: slerp\nbase_model: m0\nmodels:\n  - model: m0\n  - model: m1\nparameters:\n  t: [0, 1]\ndtype: float32\n');
    const out = join(p.dir, 'slerp');
    await runMerge(engine, file, { outDir: out });
    const merged = parameterValues(loadPretrained(out));
    expect(Array.from(merged.get('model.layers.0.self_attn.q_proj.weight')!)).toEqual(Array.from(p.values[0].get('model.layers.0.self_attn.q_proj.weight')!));
    merged.get('model.layers.2.self_attn.q_proj.weight')!.forEach((x, i) => expect(x).toBeCloseTo(p.values[1].get('model.layers.2.self_attn.q_proj.weight')![i], 5));
  });

  it.each([
    ['an unknown method', 'merge_method: tiez\nbase_model: m0\nmodels: [{ model: m1 }]\n', ":1: merge_method: unknown merge method 'tiez' (did you mean 'ties'?)"],
    ['an unknown parameter', 'merge_method: linear\nmodels:\n  - model: m1\n    parameters: { weight: 1, densty: 0.5 }\n', "models[0] (m1).parameters.densty: merge method 'linear' has no parameter 'densty' (its parameters: weight)"],
    ['a missing weight', 'merge_method: linear\nmodels:\n  - model: m1\n  - model: m2\n    parameters: { weight: 1 }\n', "models[0] (m1): parameter 'weight' is required by merge method 'linear' (tensor model.embed_tokens.weight)"],
    ['a missing base model', 'merge_method: ties\nmodels:\n  - model: m1\n    parameters: { weight: 1 }\n', "merge method 'ties' needs base_model"],
    ['a malformed field', 'merge_method: linear\nmodels:\n  - model: m1\n    parameters: { weight: heavy }\n', ':4: models[0].parameters.weight: Invalid input'],
    ['a missing folder', 'merge_method: linear\nmodels:\n  - model: nowhere\n    parameters: { weight: 1 }\n', 'models[0] (nowhere): '],
  ])('rejects %s before writing anything', async (_what, text, message) => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const out = join(p.dir, `bad-${Math.random().toString(36).slice(2)}`);
    const file = yaml(p.dir, text);
    await expect(runMerge(engine, file, { outDir: out })).rejects.toThrow(message);
    await expect(runMerge(engine, file, { outDir: out })).rejects.toBeInstanceOf(UsageError);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects mismatched tensors, mixed architectures and corrupt files before writing anything', async () => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const other = (name: string, config: Record<string, unknown>) => {
      const m = initModel(parseModelConfig(config), { seed: 9 });
      savePretrained(m, join(p.dir, name));
      m.dispose();
    };
    other('wide', { ...CONFIG, intermediate_size: 12 });
    other('deep', { ...CONFIG, num_hidden_layers: 4 });
    other('gpt', { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 3, vocab_size: 32 });
    cpSync(join(p.dir, 'm1'), join(p.dir, 'corrupt'), { recursive: true });
    const st = join(p.dir, 'corrupt', 'model.safetensors');
    writeFileSync(st, readFileSync(st).subarray(0, 5000));
    const cases: [string, string][] = [
      ['wide', "models[1] (wide): tensor 'model.layers.0.mlp.down_proj.weight' has shape [8, 12], models[0] (m1) has [8, 16]"],
      ['deep', 'models[1] (deep): spans 4 layers, models[0] (m1) 3; every source of a slice must span as many layers'],
      ['gpt', 'architecture gpt2 ["GPT2LMHeadModel"] differs from models[0] (m1): llama ["LlamaForCausalLM"]'],
      ['corrupt', 'truncated'],
    ];
    for (const [name, message] of cases) {
      const out = join(p.dir, `out-${name}`);
      const file = yaml(p.dir, `merge_method: linear\nmodels:\n  - model: m1\n    parameters: { weight: 1 }\n  - model: ${name}\n    parameters: { weight: 1 }\n`);
      await expect(runMerge(engine, file, { outDir: out })).rejects.toThrow(message);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('sums bf16 checkpoints in one fused pass with the same bytes as the general path (which taps on mergeTensor keep)', async () => {
    for (const m of ['m0', 'm1', 'm2']) savePretrained(loadPretrained(join(p.dir, m)), join(p.dir, `b${m}`), { dtype: 'bfloat16' });
    const file = yaml(p.dir, 'merge_method: linear\nmodels:\n  - model: bm0\n    parameters: { weight: 1 }\n  - model: bm1\n    parameters: { weight: 2 }\n  - model: bm2\n    parameters: { weight: 3.5 }\ndtype: bfloat16\n');
    const fused = await createTestEngine({ plugins: [mergePlugin] });
    await runMerge(fused, file, { outDir: join(p.dir, 'fused') });
    const general = await createTestEngine({ plugins: [mergePlugin] });
    const seen: string[] = [];
    general.hooks.mergeTensor.tap({ name: 'observer', stage: HookStage.BEFORE_DEFAULT }, (req) => {
      seen.push(req.name);
      return undefined;
    });
    await runMerge(general, file, { outDir: join(p.dir, 'general') });
    expect(seen).toHaveLength(p.values[0].size);
    expect(readFileSync(join(p.dir, 'fused', 'model.safetensors')).equals(readFileSync(join(p.dir, 'general', 'model.safetensors')))).toBe(true);
    const merged = parameterValues(loadPretrained(join(p.dir, 'fused')));
    const inputs = ['bm0', 'bm1', 'bm2'].map((m) => parameterValues(loadPretrained(join(p.dir, m))));
    for (const [name, v] of merged) {
      v.forEach((x, i) => {
        const want = (inputs[0].get(name)![i] + 2 * inputs[1].get(name)![i] + 3.5 * inputs[2].get(name)![i]) / 6.5;
        expect(Math.abs(x - want)).toBeLessThanOrEqual(Math.abs(want) * 2 ** -8 + 1e-30);
      });
    }
  });

  it('the fused kernel matches scale, axpy and the bf16 cast at every length (SIMD body and scalar tail)', () => {
    const arena = new ScratchArena();
    for (const n of [1, 7, 8, 9, 31, 1000]) {
      const views = arena.layout([2 * n, 2 * n, 2 * n, 4 * n, 2 * n, 4 * n, 4 * n, 2 * n]);
      const bits = views.slice(0, 3).map((v, m) => {
        const u16 = new Uint16Array(v.buffer, v.byteOffset, n);
        u16.forEach((_, i) => (u16[i] = (((i * 7919 + m * 104729) % 65536) & 0x7f7f) ^ (i % 3 === 0 ? 0x8000 : 0)));
        return v;
      });
      const f = (v: Uint8Array) => new Float32Array(v.buffer, v.byteOffset, n);
      expect(linearCombinationBf16([0.25, -1.5, 3], bits, f(views[3]), views[4])).toBe(true);
      const wide = bits.map((b, m) => toFloat32Into('BF16', b, m === 0 ? f(views[5]) : m === 1 ? f(views[6]) : new Float32Array(n), 'x'));
      const acc = new Float32Array(n);
      scale(0.25, wide[0], acc);
      axpy(-1.5, wide[1], acc);
      axpy(3, wide[2], acc);
      const want = fromFloat32Into('BF16', acc, new Uint8Array(2 * n), 'x');
      expect(Buffer.from(views[4]).equals(Buffer.from(want))).toBe(true);
    }
  });
});
