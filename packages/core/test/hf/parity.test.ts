import { generate, loadPretrained, selectBackend, tf, tokenLogprobs, type PretrainedModel } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import { expected, modelDir, rows } from './fixtures';

/**
 * Parity with transformers 5.17 on the reference fixtures (float32, eager attention), on the cpu
 * backend and on wasm with aya-fw's kernels (native where built: GEMM, RMSNorm, SwiGLU, the
 * fused log-likelihood).
 */
describe.each([
  ['llama', 'cpu'],
  ['qwen2', 'cpu'],
  ['gpt2', 'cpu'],
  ['llama', 'wasm'],
  ['qwen2', 'wasm'],
  ['gpt2', 'wasm'],
] as const)('%s matches transformers on %s', (name, backend) => {
  let model: PretrainedModel;
  const ref = expected(name);
  const ids = rows(ref.input_ids);
  const mask = rows(ref.attention_mask);
  const [b, s] = ref.input_ids.shape;

  beforeAll(async () => {
    if (backend === 'wasm') await selectBackend('wasm');
    await createTestEngine({ backend });
    model = loadPretrained(modelDir(name));
  });
  afterAll(async () => {
    model.dispose();
    await tf.setBackend('cpu');
  });

  it('logits within 1e-4 where the mask is 1', () => {
    const logits = tf.tidy(() => model.forward({ inputIds: tf.tensor2d(ids, [b, s], 'int32'), attentionMask: tf.tensor2d(mask, [b, s], 'int32') }).logits);
    expect(logits.shape).toEqual(ref.logits.shape);
    const got = logits.dataSync();
    logits.dispose();
    const V = ref.logits.shape[2];
    let worst = 0;
    let compared = 0;
    for (let i = 0; i < b; i++) {
      for (let t = 0; t < s; t++) {
        if (!mask[i][t]) continue;
        for (let v = 0; v < V; v++) {
          const k = (i * s + t) * V + v;
          worst = Math.max(worst, Math.abs(got[k] - ref.logits.values[k]));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(V * s);
    expect(worst).toBeLessThan(1e-4);
  });

  it('token and sequence log-probs within 1e-4', () => {
    const lp = tf.tidy(() => tokenLogprobs(model, tf.tensor2d(ids, [b, s], 'int32'), tf.tensor2d(mask, [b, s], 'int32')));
    const got = lp.arraySync();
    lp.dispose();
    const want = rows(ref.token_logprob);
    for (let i = 0; i < b; i++) {
      for (let t = 0; t < s - 1; t++) expect(Math.abs(got[i][t] - want[i][t])).toBeLessThan(1e-4);
      expect(Math.abs(got[i].reduce((x, y) => x + y, 0) - ref.seq_logprob.values[i])).toBeLessThan(1e-3);
    }
  });

  it('greedy tokens by full recomputation are identical', () => {
    const prompt = rows(ref.greedy_prompt)[0];
    const out = generate(model, [prompt], { maxNewTokens: 12, useCache: false, eosTokenIds: [] });
    expect(out.tokens[0]).toEqual(rows(ref.greedy_tokens)[0]);
  });

  it('KV-cache generation equals generate() and full recomputation, and leaks nothing', () => {
    const prompt = rows(ref.greedy_prompt)[0];
    const before = liveTensors();
    const cached = generate(model, [prompt], { maxNewTokens: 12, eosTokenIds: [] });
    expect(liveTensors()).toBe(before);
    expect(cached.tokens[0]).toEqual(rows(ref.generate_tokens)[0]);
    expect(cached.tokens[0]).toEqual(rows(ref.greedy_tokens)[0]);
  });

  it('batched left-padded generation gives each row what it gets alone', () => {
    const prompt = rows(ref.greedy_prompt)[0];
    const short = prompt.slice(3);
    const batch = generate(model, [prompt, short], { maxNewTokens: 6, eosTokenIds: [] });
    expect(batch.tokens[0]).toEqual(generate(model, [prompt], { maxNewTokens: 6, eosTokenIds: [] }).tokens[0]);
    expect(batch.tokens[1]).toEqual(generate(model, [short], { maxNewTokens: 6, eosTokenIds: [] }).tokens[0]);
  });
});
