import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { definePlugin, initModel, parseModelConfig, planStage, runStages, savePretrained, selectBackend, tf, type RewardFunctionDefinition } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import optimizers from '@aya-fw/plugin-optimizers';
import data from '@aya-fw/plugin-data';
import onlineRl from '@aya-fw/plugin-online-rl';

const TOKENIZER = resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf', 'models', 'llama');

/** The share of a completion's characters that are lowercase ASCII letters: a random policy scores about a third. */
const letters: RewardFunctionDefinition = {
  id: 'letters',
  description: 'share of lowercase ASCII letters',
  score: (items) => items.map(({ completion }) => (completion.length ? (completion.match(/[a-z]/g) ?? []).length / completion.length : 0)),
};

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'aya-online-'));
  const config = parseModelConfig({
    model_type: 'llama', vocab_size: 520, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
    max_position_embeddings: 64, bos_token_id: 0, eos_token_id: 4, pad_token_id: 5, initializer_range: 0.05,
  });
  const model = initModel(config, { seed: 3 });
  savePretrained(model, join(dir, 'model'), { tokenizerFrom: TOKENIZER });
  model.dispose();
  writeFileSync(join(dir, 'prompts.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `Write ${i}:`, language: ['en', 'fr'][i % 2] })).join('\n') + '\n');
  const engine = await createTestEngine({ plugins: [optimizers, data, onlineRl, definePlugin({ name: 'letters', contributes: { rewardFunctions: [letters] } })], backend: 'wasm' });
  return { dir, engine };
}

const rows = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((r) => 'reward' in r);

describe('online trainers on a tiny model and a programmatic reward', () => {
  beforeAll(() => selectBackend('wasm'));

  it.each([
    ['reinforce', { baseline: 'moving-average' }],
    ['reinforce', { baseline: 'none' }],
    ['rloo', { numGenerations: 4 }],
    ['grpo', { numGenerations: 4, lossConfig: { beta: 0.02 } }],
  ] as const)('%s %j raises the mean reward well above its start, leaking no tensors per step', async (trainer, options) => {
    const { dir, engine } = await setup();
    const counts: number[] = [];
    engine.hooks.step.tap('count', () => void counts.push(tf.memory().numTensors));
    const stage = planStage(engine, trainer, trainer, {
      model: join(dir, 'model'), prompts: join(dir, 'prompts.jsonl'), rewards: [{ function: 'letters' }],
      maxSteps: 30, generationBatchSize: 16, maxNewTokens: 6, optimizer: 'adam', optimizerConfig: { learningRate: 0.01 }, maxGradNorm: 0, ...options,
    }, { where: 'test', outDir: join(dir, 'out') });
    const before = tf.memory().numTensors;
    await runStages(engine, { name: 't', outDir: dir, seed: 0, backend: 'wasm' }, [stage], { baseDir: dir });
    // Nothing outlives the stage, and each step holds the same tensors (no clipping here, which adds scaled copies).
    expect(tf.memory().numTensors).toBe(before);
    const r = rows(join(dir, 'out', 'metrics.jsonl'));
    const mean = (xs: Record<string, number>[]) => xs.reduce((a, x) => a + x.reward, 0) / xs.length;
    const start = mean(r.slice(0, 5));
    const end = mean(r.slice(-5));
    expect(start).toBeLessThan(0.6);
    expect(end).toBeGreaterThan(start + 0.25);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(Object.keys(r[0])).toEqual(expect.arrayContaining(['reward', 'reward_std', 'rewards/letters/mean', 'reward/en', 'kl', 'entropy', 'completions/mean_length', 'completions/clipped_ratio', 'tokens_per_second/generation', 'tokens_per_second/update']));
  });
});
