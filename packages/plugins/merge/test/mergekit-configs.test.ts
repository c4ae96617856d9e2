import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint, initModel, SafetensorsFile, loadPretrained, mergeTensors, parseModelConfig, runMerge, savePretrained, tensorDepth, toFloat32Into, Tokenizer, UsageError, type InMemoryMerge } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import mergePlugin from '@aya-fw/plugin-merge';

/**
 * mergekit's own configs (its examples/ and the configs of tests/test_basic_merges.py), with
 * model paths pointed at a pool built from the llama and gpt2 fixtures. Results are checked
 * against computations written here independently of the planner (depth, gradients, filters,
 * TIES and SLERP re-derived from mergekit's definitions) or, for every method, against the
 * in-memory merge of the same tensors.
 */
const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf', 'models');
const LAYERS = 4;

interface Tensor {
  shape: number[];
  values: Float32Array;
}

function tensors(dir: string): Map<string, Tensor> {
  const c = Checkpoint.open(dir);
  try {
    return new Map(
      c.names().map((n) => {
        const info = c.info(n);
        const values = new Float32Array(info.shape.reduce((a, b) => a * b, 1));
        toFloat32Into(info.dtype, c.readBytes(n), values, n);
        return [n, { shape: [...info.shape], values }];
      }),
    );
  } finally {
    c.close();
  }
}

/** Four llama checkpoints of the fixture's shape with 4 layers (m0 the base), and the gpt2 fixture. */
function pool(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aya-mergekit-'));
  const config = { ...JSON.parse(readFileSync(join(FIXTURES, 'llama', 'config.json'), 'utf8')), num_hidden_layers: LAYERS };
  for (let seed = 0; seed < 4; seed++) {
    const model = initModel(parseModelConfig(config), { seed: seed + 1, std: 0.1 });
    savePretrained(model, join(dir, `m${seed}`), { tokenizerFrom: join(FIXTURES, 'llama') });
    model.dispose();
  }
  cpSync(join(FIXTURES, 'gpt2'), join(dir, 'gpt2'), { recursive: true });
  return dir;
}

/** mergekit's `evaluate_setting` and planner depth, re-derived: layer i of L at i/(L−1), everything else at 0. */
function depth(name: string): number {
  const m = /\.layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) / (LAYERS - 1) : 0;
}
function gradient(list: number[], t: number): number {
  const x = t * (list.length - 1);
  const i = Math.floor(x);
  const j = Math.min(list.length - 1, i + 1);
  return (1 - (x - i)) * list[i] + (x - i) * list[j];
}

/** TIES as the paper and mergekit define it, written with a full sort. */
function tiesReference(base: Float32Array, xs: Float32Array[], weights: number[], densities: number[], normalize = true): Float32Array {
  const n = base.length;
  const weighted = xs.map((x, m) => {
    const d = Array.from(x, (v, i) => v - base[i]);
    const keep = new Set(densities[m] >= 1 ? d.keys() : [...d.keys()].sort((a, b) => Math.abs(d[b]) - Math.abs(d[a])).slice(0, Math.floor(densities[m] * n)));
    return d.map((v, i) => (keep.has(i) ? v * weights[m] : 0));
  });
  return Float32Array.from(base, (b, i) => {
    const sign = weighted.reduce((s, d) => s + d[i], 0) >= 0 ? 1 : -1;
    let sum = 0;
    let div = 0;
    weighted.forEach((d, m) => {
      if (Math.sign(d[i]) === sign) {
        sum += d[i];
        div += weights[m];
      }
    });
    return b + (normalize ? sum / (div === 0 ? 1 : div) : sum);
  });
}

function slerpReference(t: number, a: Float32Array, b: Float32Array): Float32Array {
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  const dot = a.reduce((s, v, i) => s + (v / na) * (b[i] / nb), 0);
  if (Math.abs(dot) > 0.9995) return Float32Array.from(a, (v, i) => (1 - t) * v + t * b[i]);
  const th = Math.acos(dot);
  return Float32Array.from(a, (v, i) => (Math.sin((1 - t) * th) / Math.sin(th)) * v + (Math.sin(t * th) / Math.sin(th)) * b[i]);
}

/** A tensor of the Hugging Face reference outputs (test/fixtures/hf/expected). */
function readExpected(file: string, name: string): Float32Array {
  const f = SafetensorsFile.open(join(FIXTURES, '..', 'expected', file));
  try {
    return f.readFloat32(name);
  } finally {
    f.close();
  }
}

function expectClose(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  let worst = 0;
  got.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
  if (!(worst <= tol)) throw new Error(`${what}: differs by ${worst} (tolerance ${tol})`);
}

describe("mergekit's example and test configs on the fixture pool", () => {
  let dir: string;
  let models: Map<string, Tensor>[];
  const run = async (yaml: string, name = `out-${Math.random().toString(36).slice(2)}`) => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, yaml);
    const warnings: string[] = [];
    const out = join(dir, name);
    const summary = await runMerge(engine, file, { outDir: out, onWarning: (m) => warnings.push(m) });
    return { out, summary, warnings, merged: tensors(out), config: JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')), engine };
  };
  beforeAll(async () => {
    await createTestEngine();
    dir = pool();
    models = [0, 1, 2, 3].map((i) => tensors(join(dir, `m${i}`)));
  });

  it('examples/ties.yml: density and weight gradients and a filter, with mergekit’s depth for lm_head and the final norm (t = 0)', async () => {
    const { merged } = await run(`models:
  - model: m1
    parameters:
      density: [1, 0.7, 0.1] # density gradient
      weight: 1.0
  - model: m2
    parameters:
      density: 0.5
      weight: [0, 0.3, 0.7, 1] # weight gradient
  - model: m3
    parameters:
      density: 0.33
      weight:
        - filter: mlp
          value: 0.5
        - value: 0
merge_method: ties
base_model: m0
parameters:
  normalize: true
  int8_mask: true
dtype: float32
`);
    for (const [name, { values }] of merged) {
      const t = depth(name);
      const want = tiesReference(
        models[0].get(name)!.values,
        [1, 2, 3].map((i) => models[i].get(name)!.values),
        [1, gradient([0, 0.3, 0.7, 1], t), name.includes('mlp') ? 0.5 : 0],
        [gradient([1, 0.7, 0.1], t), 0.5, 0.33],
      );
      expectClose(values, want, 1e-6, name);
    }
    // At t = 0 model 2 has weight 0 and model 1 density 1: lm_head is the base plus model 1's whole task vector.
    expectClose(merged.get('lm_head.weight')!.values, models[1].get('lm_head.weight')!.values, 1e-6, 'lm_head.weight');
  });

  it('examples/bio-merge.yml: TIES without normalisation (int8_mask accepted)', async () => {
    const { merged } = await run(`models:
  - model: m1
    parameters:
      density: 0.5
      weight: 0.5
  - model: m2
    parameters:
      density: 0.5
      weight: 0.5
merge_method: ties
base_model: m0
parameters:
  normalize: false
  int8_mask: true
dtype: float32
`);
    for (const [name, { values }] of merged) {
      const want = tiesReference(models[0].get(name)!.values, [1, 2].map((i) => models[i].get(name)!.values), [0.5, 0.5], [0.5, 0.5], false);
      expectClose(values, want, 1e-6, name);
    }
  });

  it('examples/gradient-slerp.yml: slices of whole models, t gradients per filter, 0.5 elsewhere', async () => {
    const { merged } = await run(`slices:
  - sources:
      - model: m0
        layer_range: [0, ${LAYERS}]
      - model: m1
        layer_range: [0, ${LAYERS}]
merge_method: slerp
base_model: m0
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5 # fallback for rest of tensors
dtype: float32
`);
    for (const [name, { values }] of merged) {
      const t = name.includes('self_attn') ? gradient([0, 0.5, 0.3, 0.7, 1], depth(name)) : name.includes('mlp') ? gradient([1, 0.5, 0.7, 0.3, 0], depth(name)) : 0.5;
      expectClose(values, slerpReference(t, models[0].get(name)!.values, models[1].get(name)!.values), 1e-5, name);
    }
  });

  it('examples/linear.yml: Σ wᵢθᵢ / Σ wᵢ over three models', async () => {
    const { merged } = await run(`models:
  - { model: m1, parameters: { weight: 1.0 } }
  - { model: m2, parameters: { weight: 0.3 } }
  - { model: m3, parameters: { weight: 0.5 } }
merge_method: linear
dtype: float32
`);
    for (const [name, { values }] of merged) {
      const [a, b, c] = [1, 2, 3].map((i) => models[i].get(name)!.values);
      expectClose(values, Float32Array.from(a, (v, i) => (v + 0.3 * b[i] + 0.5 * c[i]) / 1.8), 1e-6, name);
    }
  });

  it('examples/orcamini-platy-44layer.yml: a frankenmerge of two layer ranges, renumbered, that loads and runs', async () => {
    const { merged, config, out } = await run(`slices:
  - sources:
    - model: m1
      layer_range: [0, 3]
  - sources:
    - model: m2
      layer_range: [1, 4]
merge_method: passthrough
dtype: float32
`);
    expect(config.num_hidden_layers).toBe(6);
    for (const [name, { values }] of merged) {
      const m = /^model\.layers\.(\d+)\.(.*)$/.exec(name);
      const [src, from] = !m ? [name === 'model.embed_tokens.weight' ? 1 : 2, name] : Number(m[1]) < 3 ? [1, name] : [2, `model.layers.${Number(m[1]) - 2}.${m[2]}`];
      expect(Array.from(values)).toEqual(Array.from(models[src].get(from)!.values));
    }
    expect(merged.size).toBe(models[1].size + 2 * 9);
    const model = loadPretrained(out);
    expect(model.config.numLayers).toBe(6);
    model.dispose();
  });

  it('tests/test_gpt2_stack: GPT-2 naming, the layer stack twice, n_layer doubled', async () => {
    const { merged, config, out } = await run(`slices:
  - sources: [{ model: gpt2, layer_range: [0, 2] }]
  - sources: [{ model: gpt2, layer_range: [0, 2] }]
merge_method: passthrough
dtype: float32
`);
    const gpt2 = tensors(join(dir, 'gpt2'));
    expect(config.n_layer).toBe(4);
    for (const [name, { values }] of merged) {
      const from = name.replace(/^transformer\.h\.(\d+)\./, (_, i) => `transformer.h.${Number(i) % 2}.`);
      expect(Array.from(values)).toEqual(Array.from(gpt2.get(from)!.values));
    }
    const model = loadPretrained(out);
    expect(model.config.numLayers).toBe(4);
    model.dispose();
  });

  it('tests/test_passthrough_scale: scale 0 on o_proj by a filter, 1 elsewhere', async () => {
    const { merged } = await run(`merge_method: passthrough
models:
  - model: m1
    parameters:
      scale:
        - { filter: o_proj, value: 0 }
        - { value: 1 }
`);
    for (const [name, { values }] of merged) {
      if (name.includes('o_proj')) expect(values.every((v) => v === 0)).toBe(true);
      else expect(Array.from(values)).toEqual(Array.from(models[1].get(name)!.values));
    }
  });

  // tests/test_basic_merges.py's two_model_config: weight 0.6 and 0.4 on two models, the method's parameters, bf16 there (f32 here, to compare exactly).
  const TWO_MODEL: [string, string, string | undefined, Record<string, unknown>][] = [
    ['linear', 'm1 m2', undefined, {}],
    ['slerp', 'm1 m2', 'm1', { t: 0.35 }],
    ['nuslerp', 'm1 m2', undefined, { nuslerp_row_wise: false, nuslerp_flatten: true }],
    ['nuslerp', 'm1 m2', undefined, { nuslerp_row_wise: true, nuslerp_flatten: false }],
    ['nuslerp', 'm1 m2', 'm3', { nuslerp_row_wise: false, nuslerp_flatten: false }],
    ['task_arithmetic', 'm1 m2', 'm3', {}],
    ['breadcrumbs', 'm1 m2', 'm3', {}],
    ['ties', 'm1 m2', 'm3', { density: 0.3 }],
    ['sce', 'm1 m2', 'm3', { select_topk: 0.5 }],
    ['ram', 'm1 m2', 'm3', {}],
    ['ramplus_tl', 'm1 m2', 'm3', { r: 0.05, alpha: 1.0 }],
    ['multislerp', 'm1 m2', 'm3', {}],
    ['dare_ties', 'm1 m2', 'm3', { density: 0.66 }],
    ['model_stock', 'm2 m3', 'm1', {}],
    ['model_stock', 'm2 m3', 'm1', { filter_wise: true }],
    ['arcee_fusion', 'm1 m2', 'm1', {}],
    ['nearswap', 'm1 m2', 'm1', { t: 0.0001 }],
    ['della', 'm1 m2', 'm3', { density: 0.66, epsilon: 0.05, lambda: 0.5 }],
    ['karcher', 'm1 m2', 'm3', { max_iter: 5, tol: 1e-5 }],
  ];
  it.each(TWO_MODEL)('tests/test_basic_merges: %s of %s (base %s, %j) equals the in-memory merge of each tensor', async (method, pair, base, params) => {
    const names = pair.split(' ');
    const { merged, warnings } = await run(
      `merge_method: ${method}\n${base ? `base_model: ${base}\n` : ''}models:\n${names.map((m, i) => `  - model: ${m}\n    parameters: { weight: ${i === 0 ? 0.6 : 0.4} }\n`).join('')}parameters: ${JSON.stringify(params)}\ndtype: float32\nrandom_seed: 5\n`,
    );
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const idx = names.map((m) => Number(m.slice(1)));
    const baseIdx = base ? Number(base.slice(1)) : undefined;
    const listed = baseIdx === undefined ? -1 : idx.indexOf(baseIdx);
    const spec: InMemoryMerge = {
      method: method.replace(/_/g, '-'),
      parameters: params as InMemoryMerge['parameters'],
      weights: [0.6, 0.4],
      ...(listed >= 0 ? { baseIndex: listed } : {}),
      seed: 5,
    };
    for (const [name, { values, shape }] of merged) {
      const inputs = idx.map((i) => models[i].get(name)!.values);
      const want = mergeTensors(engine, spec, inputs, { name, shape, t: tensorDepth(name, LAYERS).t, ...(baseIdx !== undefined && listed < 0 ? { base: models[baseIdx].get(name)!.values } : {}) });
      expectClose(values, want, 1e-6, name);
      expect(values.every(Number.isFinite)).toBe(true);
    }
    // Methods without a weight parameter ignore it, as mergekit does, and say so once.
    const takesWeight = ['linear', 'nuslerp', 'task_arithmetic', 'breadcrumbs', 'ties', 'multislerp', 'dare_ties', 'della'].includes(method);
    expect(warnings.some((w) => w.includes('parameters.weight: merge method'))).toBe(!takesWeight);
  });

  it('tests/test_della_invalid_epsilon and other configs mergekit refuses are refused in one line, before writing', async () => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const cases: [string, string][] = [
      [
        'merge_method: della\nbase_model: m3\nmodels:\n  - { model: m1, parameters: { weight: 0.6 } }\n  - { model: m2, parameters: { weight: 0.4 } }\nparameters: { density: 0.66, epsilon: 1.35, lambda: 0.5 }\n',
        "merge method 'della', tensor model.embed_tokens.weight: epsilon 1.35 must keep density ± epsilon inside (0, 1) (density 0.66)",
      ],
      ['merge_method: passthrough\nmodels: [{ model: m1 }]\nslices: [{ sources: [{ model: m1, layer_range: [0, 1] }] }]\n', 'give exactly one of models: or slices: (both are present)'],
      ['merge_method: passthrough\nslices: [{ sources: [{ model: m1, layer_range: [2, 9] }] }]\n', `slices[0].sources[0] (m1): layer_range [2, 9] is not inside the model's ${LAYERS} layers`],
      ['merge_method: linear\nslices: [{ sources: [{ model: m1, layer_range: [0, 2] }, { model: m2, layer_range: [0, 3] }] }]\nparameters: { weight: 1 }\n', 'slices[0].sources[1] (m2): spans 3 layers'],
      ['merge_method: nuslerp\nmodels: [{ model: m1, parameters: { weight: 1 } }]\n', 'nuslerp merges exactly two models'],
      ['merge_method: linear\nmodels: [{ model: m1, parameters: { weight: 1 } }]\ntokenizer_source: base\ntokenizer: { source: union }\n', 'give tokenizer_source or a tokenizer: section, not both'],
    ];
    for (const [yaml, message] of cases) {
      const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yml`);
      writeFileSync(file, yaml);
      const out = join(dir, 'never');
      const err = await runMerge(engine, file, { outDir: out }).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toContain(message);
      expect(err!.message).not.toContain('\n');
      expect(existsSync(out)).toBe(false);
    }
  });

  it('random methods are seeded: the seed is in the output’s metadata, the same seed gives the same bytes, another seed other values', async () => {
    const yaml = (seed: number) => `merge_method: dare_ties\nbase_model: m0\nmodels:\n  - { model: m1, parameters: { weight: 1, density: 0.5 } }\nrandom_seed: ${seed}\ndtype: float32\n`;
    const a = await run(yaml(11));
    const b = await run(yaml(11));
    const c = await run(yaml(12));
    const q = 'model.layers.0.self_attn.q_proj.weight';
    expect(Array.from(a.merged.get(q)!.values)).toEqual(Array.from(b.merged.get(q)!.values));
    expect(Array.from(a.merged.get(q)!.values)).not.toEqual(Array.from(c.merged.get(q)!.values));
    const ck = Checkpoint.open(a.out);
    expect(ck.metadata).toMatchObject({ merge_method: 'dare-ties', merge_random_seed: '11' });
    ck.close();
    expect(a.summary.seed).toBe(11);
  });

  it('model+lora references fold a PEFT LoRA into its base first: equal to PEFT’s merge_and_unload', async () => {
    const lora = join(FIXTURES, '..', 'adapters', 'llama-lora');
    const ref = tensors(join(FIXTURES, 'llama'));
    const { merged } = await run(`merge_method: linear\nmodels:\n  - { model: ${join(FIXTURES, 'llama')}+${lora}, parameters: { weight: 1 } }\n  - { model: ${join(FIXTURES, 'llama')}, parameters: { weight: 1 } }\ndtype: float32\n`);
    const q = 'model.layers.0.self_attn.q_proj.weight';
    const want = readExpected('llama-lora.safetensors', 'merged_layer0_q_proj');
    // The linear merge of (base + LoRA) and base is the mean of PEFT's merged weight and the base's.
    expectClose(merged.get(q)!.values, Float32Array.from(want, (v, i) => (v + ref.get(q)!.values[i]) / 2), 1e-6, q);
    // Untargeted modules are the base's.
    const k = 'model.layers.0.self_attn.k_proj.weight';
    expect(Array.from(merged.get(k)!.values)).toEqual(Array.from(ref.get(k)!.values));
    await expect(run(`merge_method: linear\nmodels: [{ model: "m1+${join(FIXTURES, 'llama')}", parameters: { weight: 1 } }]\n`)).rejects.toThrow('no adapter_config.json');
  });

  it('chat_template: a name, a literal template or auto; a name that is neither is refused', async () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const base = 'merge_method: linear\nmodels: [{ model: m1, parameters: { weight: 1 } }, { model: m2, parameters: { weight: 1 } }]\n';
    const named = await run(`${base}chat_template: chatml\n`);
    expect(Tokenizer.fromPretrained(named.out).applyChatTemplate(messages, { addGenerationPrompt: true })).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    const literal = await run(`${base}chat_template: "{% for m in messages %}[{{ m.content }}]{% endfor %}"\n`);
    expect(Tokenizer.fromPretrained(literal.out).applyChatTemplate(messages)).toBe('[hi]');
    const auto = await run(`${base}chat_template: auto\n`);
    expect(readFileSync(join(auto.out, 'chat_template.jinja'), 'utf8')).toBe(readFileSync(join(FIXTURES, 'llama', 'chat_template.jinja'), 'utf8'));
    await expect(run(`${base}chat_template: vicuna-ish\n`)).rejects.toThrow("chat_template: 'vicuna-ish' is neither a template name (auto, chatml, llama3, alpaca) nor a Jinja template");
    await expect(run(`${base}chat_template: "{% for %}"\n`)).rejects.toBeInstanceOf(UsageError);
  });
});
