import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { definePlugin, loadPretrained, Rewards, savePretrained, tf, Tokenizer, type JudgeDefinition, type RewardFunctionDefinition } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';

const GPT2 = resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'hf', 'models', 'gpt2');

const length: RewardFunctionDefinition<{ per: number }> = {
  id: 'length',
  description: 'characters / per; null for an empty completion',
  configSchema: require('zod').z.object({ per: require('zod').z.number().default(1) }).strict(),
  score: async (items, { per }) => items.map((i) => (i.completion.length ? i.completion.length / per : null)),
};
const longer: JudgeDefinition = {
  id: 'longer',
  description: 'the longer text wins',
  compare: async (_p, a, b) => (a.length > b.length ? 'a' : a.length < b.length ? 'b' : 'tie'),
};

describe('the reward contract', () => {
  it('sums weighted rewards, leaves out nulls, and judges against a column (1, ½, 0)', async () => {
    const engine = await createTestEngine({ plugins: [definePlugin({ name: 't', contributes: { rewardFunctions: [length], judges: [longer] } })] });
    const rewards = Rewards.create(engine, [{ function: 'length', config: { per: 2 }, weight: 3 }, { judge: 'longer', against: 'ref', weight: 1 }], (p) => p);
    const items = [
      { prompt: 'p', completion: 'abcd', row: { ref: 'ab' } },
      { prompt: 'p', completion: 'ab', row: { ref: 'ab' } },
      { prompt: 'p', completion: '', row: { ref: 'ab' } },
      { prompt: 'p', completion: '', row: {} },
    ];
    const { total, each } = await rewards.score(items, (i) => `row ${i}`);
    expect(each).toEqual({ length: [2, 1, null, null], 'longer-vs-ref': [1, 0.5, 0, null] });
    expect(total).toEqual([3 * 2 + 1, 3 * 1 + 0.5, 0, null]);
    rewards.dispose();
  });

  it('scores with a reward model through its own tokenizer, as a direct forward pass does', async () => {
    const engine = await createTestEngine();
    const dir = join(mkdtempSync(join(tmpdir(), 'aya-rm-')), 'rm');
    const rm = loadPretrained(GPT2, { newHead: { numLabels: 1, seed: 4 } });
    savePretrained(rm, dir);
    const rewards = Rewards.create(engine, [{ model: dir }], (p) => p);
    const items = [
      { prompt: 'Hello', completion: ' world', row: {} },
      { prompt: 'The sum is', completion: ' four', row: {} },
    ];
    const { total } = await rewards.score(items, (i) => `row ${i}`);
    const tok = Tokenizer.fromPretrained(GPT2);
    const want = items.map(({ prompt, completion }) =>
      tf.tidy(() => rm.forward({ inputIds: tf.tensor2d([tok.encode(prompt + completion)], undefined, 'int32') }).logits.dataSync()[0]),
    );
    (total as number[]).forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    rewards.dispose();
    rm.dispose();
    expect(() => Rewards.create(engine, [{ model: GPT2 }], (p) => p)).toThrow('a reward model must be a *ForSequenceClassification checkpoint with one label');
  });
});
