import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aya, json, killDuring, ROOT, userProject } from './cli';
import { tinyModel, writeJsonl } from './helpers/tiny-model';

const LETTERS = join(ROOT, 'test', 'fixtures', 'plugins', 'aya-fw-plugin-letters');

/** A user's project with the third-party reward plugin installed, a tiny model and prompts. */
async function project(): Promise<string> {
  const dir = userProject({ 'aya-fw-plugin-letters': LETTERS });
  await tinyModel(dir);
  writeJsonl(join(dir, 'prompts.jsonl'), Array.from({ length: 12 }, (_, i) => ({ prompt: `Write ${i}:`, language: ['en', 'fr'][i % 2] })));
  return dir;
}

const metrics = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
const batches = (file: string) => metrics(file).filter((r) => 'reward' in r);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const RL = 'numGenerations: 4\ngenerationBatchSize: 16\nmaxNewTokens: 6\noptimizer: adam\noptimizerConfig: { learningRate: 0.01 }\n';

describe('online RL through the CLI', () => {
  it('a third-party reward plugin installed in the project drives rloo from a recipe', async () => {
    const dir = await project();
    writeFileSync(
      join(dir, 'recipe.yaml'),
      `name: letters-rloo\nplugins: [letters]\nstages:\n  - trainer: rloo\n    with:\n      model: model\n      prompts: prompts.jsonl\n      rewards: [{ function: letters, config: { scale: 2 } }]\n      maxSteps: 24\n${RL.split('\n').filter(Boolean).map((l) => `      ${l}`).join('\n')}\n`,
    );
    const r = aya(['run', 'recipe.yaml', '--out', 'runs/rl', '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = batches(join(dir, 'runs', 'rl', 'rloo', 'metrics.jsonl'));
    expect(rows).toHaveLength(24);
    expect(mean(rows.slice(-5).map((x) => x.reward))).toBeGreaterThan(mean(rows.slice(0, 5).map((x) => x.reward)) + 0.4);
    expect(rows[0]['rewards/letters/mean']).toBe(rows[0].reward);
    expect(readdirSync(join(dir, 'runs', 'rl', 'rloo', 'tensorboard'))[0]).toMatch(/^events\.out\.tfevents\./);
    expect(json(r).stages.rloo.artifacts.model).toBe(join(dir, 'runs', 'rl', 'rloo', 'model'));
  });

  it('a run SIGKILLed in the middle of a step resumes to the same rewards and losses as an uninterrupted one', async () => {
    const config = `prompts: prompts.jsonl\nrewards: [{ function: letters }]\nmaxSteps: 10\ncheckpointEvery: 4\n${RL}`;
    const args = (extra: string[] = []) => ['--plugins', 'letters', 'train', 'rloo', '--model', 'model', '--config', 'rl.yaml', '--out', 'out', '--quiet', ...extra];
    const straight = await project();
    writeFileSync(join(straight, 'rl.yaml'), config);
    const done = aya([...args(), '--json'].filter((a) => a !== '--quiet'), straight);
    expect(done.status).toBe(0);
    const expected = batches(join(straight, 'out', 'metrics.jsonl')).map((r) => [r.step, r.reward, r.loss]);

    const dir = await project();
    writeFileSync(join(dir, 'rl.yaml'), config);
    copyFileSync(join(ROOT, 'test', 'e2e', 'helpers', 'pause-plugin.js'), join(dir, 'pause-plugin.js'));
    // Held inside the update of step 7 (after its sampling and scoring), then killed.
    expect(await killDuring(dir, args(), { AYA_TEST_PAUSE_STEP: '7' })).toBe('7');
    expect(readdirSync(join(dir, 'out', 'checkpoints'))).toEqual(['step-000004']);
    const resumed = aya([...args(['--resume']), '--json'].filter((a) => a !== '--quiet'), dir);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(batches(join(dir, 'out', 'metrics.jsonl')).map((r) => [r.step, r.reward, r.loss])).toEqual(expected);
    expect(json(resumed).metrics).toEqual(json(done).metrics);
  });

  it('names the valid group sizes when numGenerations does not divide the generation batch', async () => {
    const dir = await project();
    writeFileSync(join(dir, 'rl.yaml'), 'prompts: prompts.jsonl\nrewards: [{ function: letters }]\nnumGenerations: 3\ngenerationBatchSize: 16\n');
    const r = aya(['--plugins', 'letters', 'train', 'grpo', '--model', 'model', '--config', 'rl.yaml', '--out', 'out'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`aya-fw: error: rl.yaml:3: numGenerations: 3 does not divide generationBatchSize 16 into groups; valid values: 2, 4, 8, 16\n`);
    expect(existsSync(join(dir, 'out', 'model'))).toBe(false);
  });

  it.each([
    ['nan', "reward 'flaky' returned NaN for"],
    ['throw', "reward 'flaky' failed on a batch starting at"],
    ['count', "reward 'flaky' returned 15 values for 16 completions"],
  ])('a reward that answers %s stops the run with one line naming it and the row, at the last good checkpoint', async (bad, message) => {
    const dir = await project();
    writeFileSync(join(dir, 'rl.yaml'), `prompts: prompts.jsonl\nrewards: [{ function: flaky }]\nmaxSteps: 6\ncheckpointEvery: 1\n${RL}`);
    const r = aya(['--plugins', 'letters', 'train', 'rloo', '--model', 'model', '--config', 'rl.yaml', '--out', 'out'], dir, 170_000, { AYA_TEST_BAD: bad, AYA_TEST_BAD_FROM: '3' });
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    if (bad === 'nan') expect(lines[0]).toContain(`${join(dir, 'prompts.jsonl')} row`);
    expect(lines[0]).toContain(`the last good checkpoint is ${join(dir, 'out', 'checkpoints', 'step-000002')}`);
  });

  it('refuses a prompt longer than the context, or keeps its end when asked', async () => {
    const dir = await project();
    writeJsonl(join(dir, 'long.jsonl'), [{ prompt: 'Write:' }, { prompt: 'word '.repeat(150) }]);
    writeFileSync(join(dir, 'rl.yaml'), `prompts: long.jsonl\nrewards: [{ function: letters }]\nmaxSteps: 1\n${RL}`);
    const r = aya(['--plugins', 'letters', 'train', 'rloo', '--model', 'model', '--config', 'rl.yaml', '--out', 'out'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^aya-fw: error: rloo: ${join(dir, 'long.jsonl').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} row 2: the prompt has \\d+ tokens; at most 122 fit`));
    writeFileSync(join(dir, 'rl.yaml'), `prompts: long.jsonl\nrewards: [{ function: letters }]\nmaxSteps: 1\ntruncatePrompts: left\n${RL}`);
    expect(aya(['--plugins', 'letters', 'train', 'rloo', '--model', 'model', '--config', 'rl.yaml', '--out', 'out2'], dir).status).toBe(0);
  });
});
