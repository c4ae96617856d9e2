import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyRope,
  BatchDecoder,
  Checkpoint,
  generate,
  initModel,
  loadPretrained,
  parameterValues,
  parseModelConfig,
  savePretrained,
  tf,
  type ModelConfig,
  type PretrainedModel,
} from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import { modelDir } from './fixtures';

const tmp = () => mkdtempSync(join(tmpdir(), 'aya-models-'));

beforeAll(() => createTestEngine());

function logits(model: PretrainedModel, ids: number[][], mask?: number[][]): number[][][] {
  return tf.tidy(() => {
    const [b, s] = [ids.length, ids[0].length];
    const out = model.forward({ inputIds: tf.tensor2d(ids, [b, s], 'int32'), attentionMask: mask && tf.tensor2d(mask, [b, s], 'int32') }).logits;
    return out.arraySync() as number[][][];
  });
}

function maxDiff(a: unknown[], b: unknown[]): number {
  const fa = a.flat(Infinity) as number[];
  const fb = b.flat(Infinity) as number[];
  expect(fa.length).toBe(fb.length);
  return Math.max(...fa.map((x, i) => Math.abs(x - fb[i])));
}

describe('save and load', () => {
  it('round-trips bit-exactly in float32, with tokenizer, chat template and generation config', () => {
    const model = loadPretrained(modelDir('llama'));
    const dir = join(tmp(), 'saved');
    savePretrained(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['chat_template.jinja', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(modelDir('llama'), 'model.safetensors')))).toBe(true);
    const again = loadPretrained(dir);
    const a = parameterValues(model);
    for (const [name, values] of parameterValues(again)) expect(Buffer.from(values.buffer).equals(Buffer.from(a.get(name)!.buffer))).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['LlamaForCausalLM']);
    expect(config.rope_parameters.rope_type).toBe('llama3');
    model.dispose();
    again.dispose();
  });

  it('round-trips bit-exactly in bfloat16, and float16 within its precision', () => {
    const model = loadPretrained(modelDir('qwen2'));
    const bf = join(tmp(), 'bf16');
    savePretrained(model, bf, { dtype: 'bfloat16' });
    expect(JSON.parse(readFileSync(join(bf, 'config.json'), 'utf8')).dtype).toBe('bfloat16');
    const ckpt = Checkpoint.open(bf);
    expect(ckpt.info('model.embed_tokens.weight').dtype).toBe('BF16');
    ckpt.close();
    const once = loadPretrained(bf);
    const bf2 = join(tmp(), 'bf16-again');
    savePretrained(once, bf2, { dtype: 'bfloat16' });
    expect(readFileSync(join(bf2, 'model.safetensors')).equals(readFileSync(join(bf, 'model.safetensors')))).toBe(true);
    const f16 = join(tmp(), 'f16');
    savePretrained(model, f16, { dtype: 'float16' });
    const half = loadPretrained(f16);
    const ids = [[1, 20, 30, 40, 50]];
    expect(maxDiff(logits(half, ids), logits(model, ids))).toBeLessThan(0.05);
    for (const m of [model, once, half]) m.dispose();
  });

  it('shards past maxShardSize and re-loads the same model', () => {
    const model = loadPretrained(modelDir('gpt2'));
    const dir = join(tmp(), 'sharded');
    savePretrained(model, dir, { maxShardSize: 100_000 });
    const files = readdirSync(dir);
    expect(files).toContain('model.safetensors.index.json');
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(3);
    const again = loadPretrained(dir);
    const ids = [[3, 9, 27, 81]];
    expect(maxDiff(logits(again, ids), logits(model, ids))).toBe(0);
    model.dispose();
    again.dispose();
  });

  it('refuses to overwrite, and leaves no folder behind when the write fails', () => {
    const model = loadPretrained(modelDir('llama'));
    const dir = join(tmp(), 'out');
    savePretrained(model, dir);
    expect(() => savePretrained(model, dir)).toThrow(`${dir} already exists`);
    const parent = tmp();
    expect(() => savePretrained(model, join(parent, 'bad'), { dtype: 'int4' as never })).toThrow("unknown dtype 'int4'");
    expect(readdirSync(parent)).toEqual([]);
    model.dispose();
  });
});

describe('bad checkpoints', () => {
  function copyOf(name: string): string {
    const dir = join(tmp(), name);
    cpSync(modelDir(name), dir, { recursive: true });
    return dir;
  }

  it('an unknown model_type names the supported ones', () => {
    const dir = copyOf('llama');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'mamba' }));
    expect(() => loadPretrained(dir)).toThrow(`${join(dir, 'config.json')}: model_type: 'mamba' is not supported; supported: llama, mistral, qwen2, gemma2, cohere, gpt2`);
  });

  it('a missing tensor, a mismatched shape and an unexpected tensor are named', () => {
    const dir = copyOf('llama');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 3 }));
    expect(() => loadPretrained(dir)).toThrow(`${dir}: missing tensor 'model.layers.2.input_layernorm.weight' (shape [64]) for llama`);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 96 }));
    expect(() => loadPretrained(dir)).toThrow(
      `${join(dir, 'model.safetensors')}: tensor 'model.layers.0.mlp.gate_proj.weight' has shape [128, 64], but config.json implies [96, 64]`,
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 1 }));
    expect(() => loadPretrained(dir)).toThrow(/unexpected tensors 'model\.layers\.1\..*' and \d+ more for a llama causal-lm model/);
  });

  it('a truncated weights file is an error, not a crash', () => {
    const dir = copyOf('qwen2');
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, readFileSync(file).subarray(0, 300_000));
    expect(() => loadPretrained(dir)).toThrow(`${file}: truncated`);
  });

  it('a malformed config field names the file and field', () => {
    expect(() => parseModelConfig({ model_type: 'llama', hidden_size: '64' }, 'x/config.json')).toThrow('x/config.json: hidden_size: expected a positive integer, got "64"');
    expect(() =>
      parseModelConfig({ model_type: 'llama', vocab_size: 8, hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, rope_scaling: { rope_type: 'yarn', factor: 4 } }),
    ).toThrow("rope_parameters.rope_type: 'yarn' is not supported; supported: default, linear, llama3");
  });
});

/** Tiny random configs of every architecture, with their distinctive features switched on. */
const TINY: Record<string, Record<string, unknown>> = {
  llama: { model_type: 'llama', rope_scaling: { rope_type: 'linear', factor: 2 } },
  mistral: { model_type: 'mistral', sliding_window: 3 },
  qwen2: { model_type: 'qwen2', use_sliding_window: true, sliding_window: 3, max_window_layers: 1 },
  gemma2: { model_type: 'gemma2', head_dim: 8, query_pre_attn_scalar: 8, sliding_window: 3, attn_logit_softcapping: 5, final_logit_softcapping: 3 },
  cohere: { model_type: 'cohere', use_qk_norm: true, logit_scale: 0.5 },
  'cohere-no-qk-norm': { model_type: 'cohere', use_qk_norm: false, logit_scale: 0.125 },
  gpt2: { model_type: 'gpt2', n_embd: 16, n_head: 2, n_layer: 2, n_positions: 32, vocab_size: 40 },
};
const base = { vocab_size: 40, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32, initializer_range: 0.3, pad_token_id: 0 };
const tiny = (name: string): ModelConfig => parseModelConfig({ ...base, ...TINY[name] }, `${name}/config.json`);

describe.each(Object.keys(TINY))('%s (tiny random model)', (name) => {
  let model: PretrainedModel;
  beforeAll(() => (model = initModel(tiny(name), { seed: 1 })));
  afterAll(() => model.dispose());

  it('KV-cache generation equals full recomputation, batched and left-padded, leaking nothing', () => {
    const prompts = [[5, 6, 7, 8, 9, 10], [11, 12, 13]];
    const before = liveTensors();
    const cached = generate(model, prompts, { maxNewTokens: 6, eosTokenIds: [] });
    expect(liveTensors()).toBe(before);
    const full = generate(model, prompts, { maxNewTokens: 6, eosTokenIds: [], useCache: false });
    expect(cached.tokens).toEqual(full.tokens);
    expect(cached.tokens[1]).toEqual(generate(model, [prompts[1]], { maxNewTokens: 6, eosTokenIds: [] }).tokens[0]);
  });

  it('continuous batching (rows joining and leaving mid-batch) gives each row its own greedy tokens and log-probs', () => {
    const prompts = [[5, 6, 7, 8, 9, 10], [11, 12, 13], [14, 15, 16, 17, 18, 19, 20, 21], [22]];
    const budgets = [7, 3, 5, 6];
    const alone = prompts.map((p, i) => generate(model, [p], { maxNewTokens: budgets[i], eosTokenIds: [] }).tokens[0]);
    const before = liveTensors();
    const decoder = new BatchDecoder(model, { eosTokenIds: [] });
    const rows = [decoder.add({ prompt: prompts[0], maxNewTokens: budgets[0], topLogprobs: 2 }), decoder.add({ prompt: prompts[1], maxNewTokens: budgets[1] })];
    const events = [...decoder.step(), ...decoder.step()];
    rows.push(decoder.add({ prompt: prompts[2], maxNewTokens: budgets[2] })); // longer than the running width
    events.push(...decoder.step(), ...decoder.step());
    rows.push(decoder.add({ prompt: prompts[3], maxNewTokens: budgets[3] })); // after row 1 has left
    while (decoder.active > 0) events.push(...decoder.step());
    decoder.dispose();
    expect(liveTensors()).toBe(before);
    expect(rows.map((r) => r.tokens)).toEqual(alone);
    expect(rows.map((r) => r.finish)).toEqual(['length', 'length', 'length', 'length']);
    // The reported log-probs are log-softmax of a full forward pass at each position.
    const first = events.filter((e) => e.row === rows[0]);
    const full = logits(model, [[...prompts[0], ...alone[0]]])[0];
    first.forEach((e, t) => {
      const row = full[prompts[0].length - 1 + t];
      const m = Math.max(...row);
      const logZ = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
      expect(e.logprob!.logprob).toBeCloseTo(row[e.token] - logZ, 4);
      expect(e.top![0].logprob).toBeGreaterThanOrEqual(e.top![1].logprob);
      expect(e.top![0].token).toBe(e.token);
    });
  });

  it('right padding does not change the logits of real tokens', () => {
    const alone = logits(model, [[5, 6, 7, 8]]);
    const padded = logits(model, [[5, 6, 7, 8, 0, 0]], [[1, 1, 1, 1, 0, 0]]);
    expect(maxDiff(alone[0], padded[0].slice(0, 4))).toBeLessThan(1e-5);
  });

  it('saves and re-loads to identical logits', () => {
    const dir = join(tmp(), name);
    savePretrained(model, dir);
    const again = loadPretrained(dir);
    const ids = [[1, 2, 3, 4, 5]];
    expect(maxDiff(logits(again, ids), logits(model, ids))).toBe(0);
    again.dispose();
  });
});

describe('architecture details', () => {
  it('a sliding window of w hides keys w or more positions back (Mistral, 1 layer)', () => {
    const config = parseModelConfig({ ...base, model_type: 'mistral', num_hidden_layers: 1, sliding_window: 3 });
    const model = initModel(config, { seed: 2 });
    const a = logits(model, [[5, 6, 7, 8, 9, 10]]);
    const b = logits(model, [[20, 21, 22, 8, 9, 10]]);
    // Position 5 sees keys 3, 4, 5 only: changing tokens 0-2 leaves it unchanged, but not position 3.
    expect(maxDiff([a[0][5]], [b[0][5]])).toBeLessThan(1e-6);
    expect(maxDiff([a[0][3]], [b[0][3]])).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it("Cohere's logit_scale multiplies the logits; Gemma 2's final soft-cap bounds them", () => {
    const scaled = initModel(tiny('cohere'), { seed: 3 });
    const unscaled = initModel(parseModelConfig({ ...base, ...TINY.cohere, logit_scale: 1 }), { seed: 3 });
    const ids = [[1, 2, 3]];
    const s = logits(scaled, ids).flat(2) as number[];
    const u = logits(unscaled, ids).flat(2) as number[];
    s.forEach((x, i) => expect(x).toBeCloseTo(0.5 * u[i], 5));
    const gemma = initModel(tiny('gemma2'), { seed: 3, std: 3 });
    expect(Math.max(...(logits(gemma, ids).flat(2) as number[]).map(Math.abs))).toBeLessThanOrEqual(3);
    for (const m of [scaled, unscaled, gemma]) m.dispose();
  });

  it("interleaved RoPE equals half-split RoPE on the pair-permuted head dimension", () => {
    const x = tf.randomNormal([1, 2, 3, 8]) as tf.Tensor4D;
    const half = [0, 2, 4, 6, 1, 3, 5, 7]; // interleaved pair (2i, 2i+1) ↔ half-split (i, i + d/2)
    const freqs = tf.randomUniform([1, 1, 3, 4]);
    const cosI = tf.cos(tf.reshape(tf.stack([freqs, freqs], -1), [1, 1, 3, 8])) as tf.Tensor4D;
    const sinI = tf.sin(tf.reshape(tf.stack([freqs, freqs], -1), [1, 1, 3, 8])) as tf.Tensor4D;
    const cosH = tf.cos(tf.concat([freqs, freqs], -1)) as tf.Tensor4D;
    const sinH = tf.sin(tf.concat([freqs, freqs], -1)) as tf.Tensor4D;
    const inter = applyRope(x, cosI, sinI, 'interleaved');
    const split = applyRope(tf.gather(x, half, 3) as tf.Tensor4D, cosH, sinH, 'half');
    expect(maxDiff(tf.gather(inter, half, 3).arraySync(), split.arraySync())).toBeLessThan(1e-6);
  });

  it('a reward head scores the last non-pad token, wherever the padding is', () => {
    const config = parseModelConfig({ ...base, model_type: 'llama', architectures: ['LlamaForSequenceClassification'], num_labels: 1 });
    const model = initModel(config, { seed: 4 });
    expect(model.task).toBe('sequence-classification');
    const score = (ids: number[][], mask?: number[][]) => logits(model, ids, mask) as unknown as number[][];
    const alone = score([[5, 6, 7]]);
    const padded = score([[5, 6, 7, 0, 0], [9, 10, 11, 12, 13]], [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    expect(padded).toHaveLength(2);
    expect(padded[0][0]).toBeCloseTo(alone[0][0], 5);
    const dir = join(tmp(), 'rm');
    savePretrained(model, dir);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures).toEqual(['LlamaForSequenceClassification']);
    const again = loadPretrained(dir);
    expect(again.task).toBe('sequence-classification');
    expect(score([[5, 6, 7]])[0][0]).toBeCloseTo(alone[0][0], 6);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
    model.dispose();
    again.dispose();
    rmSync(dir, { recursive: true });
  });
});
