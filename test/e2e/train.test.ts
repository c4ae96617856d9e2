import { createTestEngine } from '@aya-fw/core/testing';
import peftPlugin from '@aya-fw/plugin-peft';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdapter, loadPretrained, parameterValues, selectBackend } from '@aya-fw/core';
import { aya, json, killDuring as killAt, ROOT, userProject } from './cli';
import { arithmetic, sumPreferences, tinyModel, writeJsonl } from './helpers/tiny-model';

const losses = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'loss' in r).map((r) => [r.step, r.loss]);

describe('aya-fw train sft', () => {
  it('reduces held-out loss on the wasm backend, logging metrics and TensorBoard events', async () => {
    const dir = userProject();
    await tinyModel(dir);
    writeJsonl(join(dir, 'data.jsonl'), arithmetic(120));
    writeFileSync(join(dir, 'sft.yaml'), 'optimizerConfig: { learningRate: 0.003 }\nepochs: 3\nbatchSize: 16\nschedule: { type: cosine, warmupSteps: 2 }\n');
    const r = aya(['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'sft.yaml', '--out', 'out', '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = json(r);
    expect(out.backend).toBe('wasm');
    const lines = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const initial = lines.find((l) => l.step === 0).eval_loss;
    expect(out.metrics.eval_loss).toBeLessThan(initial - 1);
    expect(out.metrics['eval_loss/fr']).toBeDefined();
    const step = lines.find((l) => l.step === 2);
    expect(Object.keys(step)).toEqual(expect.arrayContaining(['loss', 'learning_rate', 'grad_norm', 'tokens_per_second', 'epoch']));
    expect(lines.find((l) => l.step === 1).learning_rate).toBe(0);
    const events = readdirSync(join(dir, 'out', 'tensorboard'));
    expect(events[0]).toMatch(/^events\.out\.tfevents\./);
    const bytes = readFileSync(join(dir, 'out', 'tensorboard', events[0]));
    expect(bytes.readBigUInt64LE(0)).toBeGreaterThan(0n);
    expect(loadPretrained(join(dir, 'out', 'model')).config.modelType).toBe('llama');
  });

  it('reports a malformed row by file:line and field, exit 2, or skips it with skipBadRows', async () => {
    const dir = userProject();
    await tinyModel(dir);
    writeFileSync(join(dir, 'bad.jsonl'), '{"prompt": "1+1=", "completion": " 2"}\n{"prompt": "2+2=", "completion": 4}\n');
    const r = aya(['train', 'sft', '--model', 'model', '--data', 'bad.jsonl', '--out', 'out'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`aya-fw: error: ${join(dir, 'bad.jsonl')}:2: field 'completion': expected a string or a list of {role, content} messages, got 4\n`);
    writeFileSync(join(dir, 'skip.yaml'), 'skipBadRows: true\nmaxSteps: 1\nevalSplit: 0\n');
    const skipped = aya(['train', 'sft', '--model', 'model', '--data', 'bad.jsonl', '--config', 'skip.yaml', '--out', 'out2'], dir);
    expect(skipped.status).toBe(0);
    expect(skipped.stderr).toContain('skipped 1 malformed rows');
  });

  it('reads Parquet files', async () => {
    const dir = userProject();
    await tinyModel(dir);
    const script = join(dir, 'write.mjs');
    writeFileSync(
      script,
      `import { parquetWriteFile } from ${JSON.stringify(require.resolve('hyparquet-writer').replace(/\\/g, '/'))};\n` +
        `parquetWriteFile({ filename: 'data.parquet', columnData: [{ name: 'prompt', data: ['1+1=', '2+2=', '3+3='] }, { name: 'completion', data: [' 2', ' 4', ' 6'] }] });\n`,
    );
    await new Promise((res, rej) => spawn(process.execPath, [script], { cwd: dir }).on('exit', (c) => (c === 0 ? res(0) : rej(new Error(`exit ${c}`)))));
    writeFileSync(join(dir, 'one.yaml'), 'maxSteps: 2\nevalSplit: 0\n');
    const r = aya(['train', 'sft', '--model', 'model', '--data', 'data.parquet', '--config', 'one.yaml', '--out', 'out', '--json'], dir);
    expect(r.stderr).toBe('');
    expect(json(r).metrics.steps).toBe(2);
  });
});

describe('crash safety', () => {
  const config = 'optimizerConfig: { learningRate: 0.003 }\nmaxSteps: 16\nbatchSize: 8\ncheckpointEvery: 4\nevalSplit: 0\n';

  const killDuring = (dir: string, env: Record<string, string>) =>
    killAt(dir, ['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'c.yaml', '--out', 'out', '--quiet', ...(existsSync(join(dir, 'out')) ? ['--resume'] : [])], env);

  it('a run killed with SIGKILL during a checkpoint write and between checkpoints resumes to the same losses', async () => {
    const straight = userProject();
    await tinyModel(straight);
    writeJsonl(join(straight, 'data.jsonl'), arithmetic(64));
    writeFileSync(join(straight, 'c.yaml'), config);
    expect(aya(['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'c.yaml', '--out', 'out', '--quiet'], straight).status).toBe(0);
    const expected = losses(join(straight, 'out', 'metrics.jsonl'));

    const dir = userProject();
    await tinyModel(dir);
    writeJsonl(join(dir, 'data.jsonl'), arithmetic(64));
    writeFileSync(join(dir, 'c.yaml'), config);
    copyFileSync(join(ROOT, 'test', 'e2e', 'helpers', 'pause-plugin.js'), join(dir, 'pause-plugin.js'));

    const tmp = await killDuring(dir, { AYA_TEST_PAUSE_CHECKPOINT: '8' });
    expect(tmp).toMatch(/step-000008\.tmp-\d+$/);
    expect(existsSync(tmp)).toBe(true);
    const checkpoints = readdirSync(join(dir, 'out', 'checkpoints'));
    expect(checkpoints).toContain('step-000004');
    expect(checkpoints).not.toContain('step-000008');

    await killDuring(dir, { AYA_TEST_PAUSE_STEP: '11' });
    expect(readdirSync(join(dir, 'out', 'checkpoints'))).toContain('step-000008');

    const resumed = aya(['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'c.yaml', '--out', 'out', '--resume', '--json'], dir);
    expect(resumed.status).toBe(0);
    expect(losses(join(dir, 'out', 'metrics.jsonl'))).toEqual(expected);
    expect(json(resumed).metrics.train_loss).toBe(expected[expected.length - 1][1]);
  });
});

describe('aya-fw train reward', () => {
  it('ranks held-out pairs well above chance and re-loads as an HF sequence-classification checkpoint', async () => {
    const dir = userProject();
    await tinyModel(dir);
    const langs = ['en', 'fr'];
    const rows = Array.from({ length: 160 }, (_, i) => ({ prompt: `Q${i % 13}:`, chosen: ' yes indeed', rejected: ' no way', language: langs[i % 2] }));
    writeJsonl(join(dir, 'prefs.jsonl'), rows);
    writeFileSync(join(dir, 'rm.yaml'), 'optimizerConfig: { learningRate: 0.003 }\nepochs: 2\nbatchSize: 16\nevalSplit: 0.2\n');
    const r = aya(['train', 'reward', '--model', 'model', '--data', 'prefs.jsonl', '--config', 'rm.yaml', '--out', 'rm', '--json'], dir);
    expect(r.stderr).toBe('');
    const out = json(r);
    expect(out.metrics.eval_accuracy).toBeGreaterThan(0.9);
    const config = JSON.parse(readFileSync(join(dir, 'rm', 'model', 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['LlamaForSequenceClassification']);
    expect(config.num_labels).toBe(1);
    await selectBackend('cpu');
    const rm = loadPretrained(join(dir, 'rm', 'model'));
    expect(rm.task).toBe('sequence-classification');
    expect([...rm.namedParameters().keys()]).toContain('score.weight');
    expect([...rm.namedParameters().keys()]).not.toContain('lm_head.weight');
    rm.dispose();

    // The reward model scores completions for CoPG (the data has no reward columns: without it, CoPG would refuse).
    writeFileSync(join(dir, 'copg.yaml'), 'loss: copg\nlossConfig: { beta: 0.5 }\nrewardModel: rm/model\noptimizerConfig: { learningRate: 0.001 }\nmaxSteps: 3\nbatchSize: 8\nevalSplit: 0\n');
    const copg = aya(['train', 'preference', '--model', 'model', '--data', 'prefs.jsonl', '--config', 'copg.yaml', '--out', 'copg'], dir);
    expect(copg.stderr).toBe('');
    const first = readFileSync(join(dir, 'copg', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.step === 1);
    expect(copg.status).toBe(0);
    expect(Number.isFinite(first['regularized_reward/mean'])).toBe(true);
  });
});

describe('aya-fw train preference', () => {
  const prefs = sumPreferences;

  it.each([
    ['dpo', 'lossConfig: { beta: 0.5 }'],
    ['ipo', 'lossConfig: { tau: 0.5, reduction: mean }'],
    ['copg', 'lossConfig: { beta: 0.5 }'],
  ])('trains with the %s loss, caching reference log-probs on disk', async (loss, lossConfig) => {
    const dir = userProject();
    await tinyModel(dir);
    writeJsonl(join(dir, 'prefs.jsonl'), prefs(80));
    writeFileSync(join(dir, 'p.yaml'), `loss: ${loss}\n${lossConfig}\noptimizerConfig: { learningRate: 0.001 }\nepochs: 2\nbatchSize: 8\nevalSplit: 0.2\n`);
    const first = aya(['train', 'preference', '--model', 'model', '--data', 'prefs.jsonl', '--config', 'p.yaml', '--out', 'out'], dir);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('reference log-probs of 80 pairs computed and cached');
    const lines = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ step: 0, eval_accuracy: 0, eval_margin: 0 });
    expect(lines[lines.length - 1].eval_accuracy).toBeGreaterThan(0.8);
    const again = aya(['train', 'preference', '--model', 'model', '--data', 'prefs.jsonl', '--config', 'p.yaml', '--out', 'out2'], dir);
    expect(again.stdout).toContain('reference log-probs of 80 pairs read from the cache');
  });

  it("uses a user's own loss plugin by name", async () => {
    const dir = userProject({ 'aya-fw-plugin-hinge': join(ROOT, 'examples', 'custom-loss-plugin') });
    await tinyModel(dir);
    writeJsonl(join(dir, 'prefs.jsonl'), prefs(40));
    writeFileSync(join(dir, 'p.yaml'), 'loss: hinge\nlossConfig: { beta: 0.5 }\noptimizerConfig: { learningRate: 0.001 }\nmaxSteps: 3\nbatchSize: 8\nevalSplit: 0\n');
    const r = aya(['--plugins', 'hinge', 'train', 'preference', '--model', 'model', '--data', 'prefs.jsonl', '--config', 'p.yaml', '--out', 'out', '--json'], dir);
    expect(r.stderr).toBe('');
    const lines = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.step === 1)['hinge/active']).toBe(1);
  });
});

describe('aya-fw train srpo', () => {
  it('trains the self-improvement and generative terms on preference pairs', async () => {
    const dir = userProject();
    await tinyModel(dir);
    const rows = Array.from({ length: 40 }, (_, i) => ({ prompt: `${i % 10}+1=`, chosen: ` ${(i % 10) + 1}`, rejected: ` ${i % 10}`, language: ['en', 'fr'][i % 2] }));
    writeJsonl(join(dir, 'prefs.jsonl'), rows);
    writeFileSync(join(dir, 's.yaml'), 'lossConfig: { beta: 0.5, alpha: 0.5 }\noptimizerConfig: { learningRate: 0.001 }\nepochs: 2\nbatchSize: 8\nevalSplit: 0.2\n');
    const r = aya(['train', 'srpo', '--model', 'model', '--data', 'prefs.jsonl', '--config', 's.yaml', '--out', 'out', '--json'], dir);
    expect(r.stderr).toBe('');
    const out = json(r);
    expect(out.metrics.eval_accuracy).toBeGreaterThan(0.8);
    const step = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.step === 1);
    expect(Object.keys(step)).toEqual(expect.arrayContaining(['srpo/self_improvement', 'srpo/generative', 'revision/accuracy']));
  });
});

describe('aya-fw train --adapter', () => {
  it.each(['lora', 'ia3', 'mov', 'molora'])('trains only the %s adapter: the base stays bit-identical and the adapter is saved in PEFT’s layout', async (type) => {
    const dir = userProject();
    const model = await tinyModel(dir);
    writeJsonl(join(dir, 'data.jsonl'), arithmetic(64));
    writeFileSync(join(dir, 'a.yaml'), `optimizerConfig: { learningRate: 0.01 }\nmaxSteps: 6\nbatchSize: 16\nevalSplit: 0\n${type === 'lora' ? 'adapter: { r: 4, targetModules: [q_proj, v_proj] }\n' : type === 'mov' ? 'adapter: { numExperts: 4 }\n' : type === 'molora' ? 'adapter: { numExperts: 2, r: 2, targetModules: [q_proj, v_proj] }\n' : ''}`);
    const r = aya(['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'a.yaml', '--adapter', type, '--out', 'out'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const share = /adapter (\w+): ([\d,]+) trainable parameters of ([\d,]+) \(([\d.]+)%\)/.exec(r.stdout);
    expect(share?.[1]).toBe(type);
    expect(Number(share![4])).toBeLessThan(10);
    expect(readFileSync(join(dir, 'out', 'model', 'model.safetensors')).equals(readFileSync(join(model, 'model.safetensors')))).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'out', 'adapters', 'default', 'adapter_config.json'), 'utf8'));
    expect(config.peft_type).toBe(type.toUpperCase());
    // The result names the adapter folder (the model folder is the frozen base).
    expect(r.stdout).toContain(`adapter: ${join(dir, 'out', 'adapters', 'default')}`);
    const withAdapter = aya(['generate', '--model', 'model', '--adapter', 'out/adapters/default', '--prompt', '3+4=', '-n', '4', '--json'], dir);
    expect(withAdapter.status).toBe(0);
    const merged = aya(['adapter', 'merge', '--model', 'model', '--adapter', 'out/adapters/default', '--out', 'merged'], dir);
    if (type === 'mov' || type === 'molora') {
      expect(merged.status).toBe(2);
      expect(merged.stderr).toMatch(/cannot be merged into the base \(its update depends on the input/);
      return;
    }
    expect(merged.status).toBe(0);
    // The merged folder answers as base + adapter does, and its weights are what mergeAndUnload leaves.
    expect(json(aya(['generate', '--model', 'merged', '--prompt', '3+4=', '-n', '4', '--json'], dir)).tokens).toEqual(json(withAdapter).tokens);
    const engine = await createTestEngine({ plugins: [peftPlugin] });
    const base = loadPretrained(join(dir, 'model'));
    const adapter = loadAdapter(engine, base, join(dir, 'out', 'adapters', 'default')) as unknown as { mergeAndUnload(): void };
    adapter.mergeAndUnload();
    const want = parameterValues(base);
    base.dispose();
    const got = loadPretrained(join(dir, 'merged'));
    // (the CLI merged on the wasm backend, this reference on cpu: the same to float rounding)
    for (const [name, values] of parameterValues(got)) expect([name, Math.max(...values.map((v, i) => Math.abs(v - want.get(name)![i]))) < 1e-6]).toEqual([name, true]);
    got.dispose();
    expect(aya(['adapter', 'merge', '--model', 'model', '--adapter', 'out/adapters/default', '--out', 'merged'], dir).status).toBe(2);
    const lines = readFileSync(join(dir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'loss' in l);
    expect(lines[lines.length - 1].loss).toBeLessThan(lines[0].loss);
  });
});
