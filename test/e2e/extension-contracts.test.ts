import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdapter, loadPretrained, selectBackend, tf, toPlugin, type PretrainedModel } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import { aya, ROOT, userProject } from './cli';
import { arithmetic, sumPreferences, tinyModel, writeJsonl } from './helpers/tiny-model';

const OBSERVER = join(ROOT, 'test', 'fixtures', 'plugins', 'aya-fw-plugin-observer');
const LETTERS = join(ROOT, 'test', 'fixtures', 'plugins', 'aya-fw-plugin-letters');

interface Seen {
  readonly event: string;
  readonly stage?: string;
  readonly loss?: string;
  readonly run?: string;
  readonly trainer?: string;
}

/** A user's project with the third-party observer plugin installed, a tiny model and data for every trainer. */
async function project(): Promise<{ dir: string; log: string; seen: () => Seen[]; env: NodeJS.ProcessEnv }> {
  const dir = userProject({ 'aya-fw-plugin-observer': OBSERVER, 'aya-fw-plugin-letters': LETTERS });
  writeJsonl(join(dir, 'prompts.jsonl'), [{ prompt: 'Write:' }, { prompt: 'Say:' }]);
  await tinyModel(dir);
  writeJsonl(join(dir, 'sft.jsonl'), arithmetic(40));
  writeJsonl(join(dir, 'prefs.jsonl'), sumPreferences(40));
  const log = join(dir, 'observed.jsonl');
  const seen = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Seen) : []);
  return { dir, log, seen, env: { AYA_FW_OBSERVER_LOG: log } };
}

/** Each trainer shipped today, the options of a short run, and the loss it computes by default. */
const TRAINERS: readonly { trainer: string; options: string; loss: string }[] = [
  { trainer: 'sft', options: 'model: model\ndata: sft.jsonl\nmaxSteps: 2\nbatchSize: 8\nevalSplit: 0.2', loss: 'cross-entropy' },
  { trainer: 'reward', options: 'model: model\ndata: prefs.jsonl\nmaxSteps: 2\nbatchSize: 8\nevalSplit: 0.2', loss: 'bradley-terry' },
  { trainer: 'preference', options: 'model: model\ndata: prefs.jsonl\nmaxSteps: 2\nbatchSize: 8\nevalSplit: 0.2', loss: 'dpo' },
  { trainer: 'srpo', options: 'model: model\ndata: prefs.jsonl\nmaxSteps: 2\nbatchSize: 4\nevalSplit: 0.2', loss: 'srpo' },
  { trainer: 'bandit', options: 'pairs: 200\nbatchSize: 100\nepochs: 2', loss: 'copg' },
  ...(['reinforce', 'rloo', 'grpo'] as const).map((trainer) => ({
    trainer,
    options: `model: model\nprompts: prompts.jsonl\nevalPrompts: prompts.jsonl\nrewards: [{ function: letters }]\nmaxSteps: 2\ngenerationBatchSize: 4\nnumGenerations: 2\nmaxNewTokens: 4`,
    loss: trainer === 'grpo' ? 'grpo' : 'reinforce',
  })),
];

const indent = (text: string, by: string) => text.split('\n').map((l) => by + l).join('\n');

describe('a third-party plugin on the extension points', () => {
  it('sees processLoss, the lifecycle, evaluation and the optimizer step of every trainer, from a recipe', async () => {
    const p = await project();
    const stages = TRAINERS.map((t) => `  - trainer: ${t.trainer}\n    with:\n${indent(t.options, '      ')}`).join('\n');
    writeFileSync(join(p.dir, 'recipe.yaml'), `name: every-trainer\nplugins: [observer, letters]\nstages:\n${stages}\n`);
    const r = aya(['run', 'recipe.yaml', '--out', 'runs/every', '-q'], p.dir, 170_000, p.env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const seen = p.seen();
    for (const t of TRAINERS) {
      expect(seen).toContainEqual({ event: 'processLoss', stage: t.trainer, loss: t.loss });
      expect(seen).toContainEqual({ event: 'beforeOptimizerStep', stage: t.trainer });
      expect(seen).toContainEqual({ event: 'beforeStage', stage: t.trainer, trainer: t.trainer });
      expect(seen).toContainEqual({ event: 'afterStage', stage: t.trainer });
      if (t.trainer !== 'bandit') expect(seen).toContainEqual({ event: 'evaluate', stage: t.trainer });
    }
    expect(seen.filter((s) => s.event === 'beforeRun' || s.event === 'afterRun')).toEqual([
      { event: 'beforeRun', run: 'every-trainer' },
      { event: 'afterRun', run: 'every-trainer' },
    ]);
  });

  it.each(TRAINERS.map((t) => [t.trainer, t] as const))('sees processLoss and the lifecycle from aya-fw train %s', async (_, t) => {
    const p = await project();
    writeFileSync(join(p.dir, 'options.yaml'), t.options + '\n');
    const r = aya(['--plugins', 'observer,letters', 'train', t.trainer, '--config', 'options.yaml', '--out', 'out', '-q'], p.dir, 170_000, p.env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const seen = p.seen();
    expect(seen).toContainEqual({ event: 'processLoss', stage: t.trainer, loss: t.loss });
    expect(seen).toContainEqual({ event: 'beforeRun', run: t.trainer });
    expect(seen).toContainEqual({ event: 'beforeStage', stage: t.trainer, trainer: t.trainer });
    expect(seen).toContainEqual({ event: 'afterRun', run: t.trainer });
  });

  it("trains its own adapter type, saves it and re-loads it through the adapter registry", async () => {
    const p = await project();
    writeFileSync(join(p.dir, 'sft.yaml'), 'maxSteps: 6\nbatchSize: 8\nevalSplit: 0\noptimizerConfig: { learningRate: 0.05 }\n');
    const r = aya(['--plugins', 'observer', 'train', 'sft', '--model', 'model', '--data', 'sft.jsonl', '--config', 'sft.yaml', '--adapter', 'scale-out', '--out', 'out', '-q'], p.dir, 170_000, p.env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const folder = join(p.dir, 'out', 'adapters', 'default');
    expect(JSON.parse(readFileSync(join(folder, 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'SCALE_OUT', target_modules: ['q_proj', 'v_proj'] });

    await selectBackend('cpu');
    const engine = await createTestEngine({ plugins: [toPlugin(require(OBSERVER), 'aya-fw-plugin-observer')] });
    const adapted = loadPretrained(join(p.dir, 'model'));
    const module = loadAdapter(engine, adapted, folder);
    const scales = [...module.parameters].map(([key, v]) => [key, Array.from(v.dataSync())] as const);
    expect(scales.map(([key]) => key)).toEqual(['model.layers.0.self_attn.q_proj.scale', 'model.layers.0.self_attn.v_proj.scale', 'model.layers.1.self_attn.q_proj.scale', 'model.layers.1.self_attn.v_proj.scale']);
    // Trained: the scales moved away from their initial ones.
    expect(Math.max(...scales.flatMap(([, s]) => s.map((x) => Math.abs(x - 1))))).toBeGreaterThan(1e-3);

    // Closed form: scaling a layer's outputs by s is scaling the rows of its weight by s.
    const merged = loadPretrained(join(p.dir, 'model'));
    for (const [key, s] of scales) {
      const w = merged.param(key.replace(/\.scale$/, '.weight'));
      w.assign(tf.tidy(() => tf.mul(w, tf.reshape(tf.tensor1d(s), [-1, 1]))));
    }
    const ids = tf.tensor2d([[1, 17, 33, 9, 4]], [1, 5], 'int32');
    const logits = (m: PretrainedModel) => tf.tidy(() => Array.from(m.forward({ inputIds: ids }).logits.dataSync()));
    const got = logits(adapted);
    const want = logits(merged);
    expect(Math.max(...got.map((g, i) => Math.abs(g - want[i])))).toBeLessThan(1e-5);
    adapted.dispose();
    merged.dispose();
  });
});

describe('recipe validation before the first stage', () => {
  const recipe = (second: string) =>
    `name: checked\nstages:\n  - trainer: sft\n    with:\n      model: model\n      data: sft.jsonl\n      maxSteps: 1\n  - trainer: preference\n    with:\n      model: stage:sft\n      data: prefs.jsonl\n${indent(second, '      ')}\n`;

  it.each([
    ['an unknown loss', 'loss: dpoo', "recipe.yaml:12: stages[1].with.loss: unknown loss 'dpoo' (did you mean 'dpo'?)"],
    ['a bad lossConfig', 'lossConfig: { beta: -1 }', 'recipe.yaml:12: stages[1].with.lossConfig.beta: Too small'],
    ['an unknown optimizer', 'optimizer: adamx', "recipe.yaml:12: stages[1].with.optimizer: unknown optimizer 'adamx'"],
    ['a bad adapter option', 'adapter: { type: lora, r: 0 }', 'recipe.yaml:12: stages[1].with.adapter.r: Too small'],
    ['a loss of another input kind', 'loss: cross-entropy', "recipe.yaml:12: stages[1].with.loss: loss 'cross-entropy' takes 'token-logps' inputs; this trainer feeds 'pairwise' ones"],
    ['a reference to a later stage', 'reference: stage:dpo', "stages[1].with.reference: 'stage:dpo' names stage 'dpo', which does not run before 'preference'"],
  ])('refuses %s with file:line, exit 2, before sft trains', async (_, second, message) => {
    const p = await project();
    writeFileSync(join(p.dir, 'recipe.yaml'), recipe(second));
    const r = aya(['run', 'recipe.yaml', '--out', 'runs/checked'], p.dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(existsSync(join(p.dir, 'runs', 'checked', 'sft'))).toBe(false);
  });
});
