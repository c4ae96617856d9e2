import { judgeMessages, LlmJudgeConfigSchema } from '@aya-fw/plugin-eval';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aya, json, startServe, userProject, type ServeProcess } from './cli';
import { tinyModel, writeJsonl } from './helpers/tiny-model';

/**
 * Remote models end to end: a judge model and a teacher served by `aya-fw serve`, an Arena-Hard
 * style win-rate through `aya-fw eval winrate`, and a recipe whose pairs come from the remote
 * teacher, rerun with both servers gone (the answer cache makes it free).
 */
describe('remote teachers and LLM judges over aya-fw serve', () => {
  let dir: string;
  let judge: ServeProcess;
  let teacher: ServeProcess;
  const judgeConfig = { template: 'Q: {question}\nA: {answer_a}\nB: {answer_b}\nVerdict:', system: 'Judge.', format: 'text', maxNewTokens: 10 };
  const env = () => ({ AYA_FW_CACHE_DIR: join(dir, 'cache') });

  beforeAll(async () => {
    dir = userProject();
    await tinyModel(join(dir, 'policy'), 1);
    await tinyModel(join(dir, 'base'), 2);
    await tinyModel(join(dir, 'judge-init'), 3);
    // A judge model that has learned to answer "[[A>B]]" whatever it is shown: position bias in its purest form.
    const config = LlmJudgeConfigSchema.parse({ model: 'x', ...judgeConfig });
    const words = ['sun', 'moon', 'rain', 'snow', 'wind', 'tree', 'rock', 'sea'];
    const rows = Array.from({ length: 48 }, (_, i) => {
      const [system, user] = judgeMessages(config, `q ${words[i % 8]}`, `${words[(i * 3) % 8]} ${i}`, `${words[(i * 5) % 8]}`);
      return { prompt: `${system.content}\n\n${user.content}\n\n`, completion: ' [[A>B]]' };
    });
    writeJsonl(join(dir, 'judge.jsonl'), rows);
    writeFileSync(join(dir, 'judge.yaml'), 'maxSteps: 80\nbatchSize: 8\nevalSplit: 0\noptimizerConfig: { learningRate: 0.005 }\n');
    const trained = aya(['train', 'sft', '--model', 'judge-init/model', '--data', 'judge.jsonl', '--config', 'judge.yaml', '--out', 'judge', '--quiet'], dir);
    expect(trained.stderr).toBe('');
    judge = await startServe(['--model', join(dir, 'judge', 'model'), '--name', 'judge']);
    teacher = await startServe(['--model', join(dir, 'policy', 'model'), '--name', 'teacher']);
  }, 300_000);
  afterAll(async () => {
    await judge?.stop();
    await teacher?.stop();
  });

  it('eval winrate: a remote model against a local one, judged by a served LLM in both orders, per language, from Parquet files in the m-ArenaHard layout', async () => {
    const script = join(dir, 'arena.mjs');
    const writer = JSON.stringify(require.resolve('hyparquet-writer').replace(/\\/g, '/'));
    const files = ['de', 'fr'].map((lang) => {
      mkdirSync(join(dir, 'arena', lang), { recursive: true });
      const prompts = Array.from({ length: 6 }, (_, i) => `${lang} question ${i}`);
      return `parquetWriteFile({ filename: ${JSON.stringify(join(dir, 'arena', lang, 'test-00000-of-00001.parquet'))}, columnData: [{ name: 'question_id', data: ${JSON.stringify(prompts.map((_, i) => `q${i}`))} }, { name: 'cluster', data: ${JSON.stringify(prompts.map(() => 'c'))} }, { name: 'category', data: ${JSON.stringify(prompts.map(() => 'arena-hard-v0.1'))} }, { name: 'prompt', data: ${JSON.stringify(prompts)} }] });`;
    });
    writeFileSync(script, `import { parquetWriteFile } from ${writer};\n${files.join('\n')}\n`);
    await new Promise((res, rej) => spawn(process.execPath, [script], { cwd: dir }).on('exit', (c) => (c === 0 ? res(0) : rej(new Error(`exit ${c}`)))));

    const r = aya(['eval', 'winrate', '--model', `${teacher.url}#teacher`, '--model-name', 'teacher', '--baseline', 'base/model', '--prompts', 'arena', '--judge', `${judge.url}#judge`, '--judge-config', JSON.stringify(judgeConfig), '-n', '6', '--out', 'eval', '--json'], dir, 170_000, env());
    expect(r.status).toBe(0);
    const { metrics, artifacts } = json(r);
    // "A is better" in game 1 (baseline as A) and in game 2 (model as A): one loss and one win per prompt.
    expect(metrics['winrate/teacher']).toBe(0.5);
    expect(metrics['winrate/teacher/de']).toBe(0.5);
    expect(metrics['winrate/teacher/fr']).toBe(0.5);
    const judgments = readFileSync(artifacts.judgments, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(judgments).toHaveLength(12);
    expect(judgments.every((j) => j.game1 === 'a' && j.game2 === 'a')).toBe(true);
    const report = readFileSync(artifacts.report, 'utf8');
    expect(report).toMatch(/\| teacher \| ≈50\.0% \[50\.0, 50\.0\] \| ≈50\.0% \[50\.0, 50\.0\] \| ≈50\.0% \[50\.0, 50\.0\] \|/);
    expect(report).toContain('de 6, fr 6');
    expect(existsSync(join(dir, 'eval', 'winrate', 'report.png')) || existsSync(artifacts.png)).toBe(true);

    // Without the swap the same judge hands the model every game.
    const one = aya(['eval', 'winrate', '--model', `${teacher.url}#teacher`, '--baseline', 'base/model', '--prompts', 'arena', '--judge', `${judge.url}#judge`, '--judge-config', JSON.stringify(judgeConfig), '-n', '6', '--no-position-swap', '--out', 'eval-one', '--json'], dir, 170_000, env());
    expect(json(one).metrics['winrate/model']).toBe(1);
  });

  it('a recipe stage samples pairs from a remote teacher and ranks them with a remote judge; the rerun is served from the cache', async () => {
    writeJsonl(join(dir, 'prompts.jsonl'), Array.from({ length: 6 }, (_, i) => ({ prompt: `tell me ${i}`, language: ['en', 'fr'][i % 2] })));
    writeFileSync(
      join(dir, 'recipe.yaml'),
      [
        'name: remote-teacher',
        'stages:',
        '  - name: pairs',
        '    trainer: sample-pairs',
        '    with:',
        `      model: ${teacher.url}#teacher`,
        '      prompts: prompts.jsonl',
        `      judge: ${judge.url}#judge`,
        `      judgeConfig: ${JSON.stringify(judgeConfig)}`,
        '      samples: 3',
        '      maxNewTokens: 8',
        '  - name: dpo',
        '    trainer: preference',
        '    with: { model: base/model, data: stage:pairs/data, maxSteps: 2, batchSize: 4, evalSplit: 0 }',
        '',
      ].join('\n'),
    );
    const first = aya(['run', 'recipe.yaml', '--out', 'run1', '--json'], dir, 170_000, env());
    expect(first.status).toBe(0);
    expect(json(first).stages.pairs.metrics.pairs).toBe(6);
    expect(json(first).stages.dpo.metrics.steps).toBe(2);
    await judge.stop();
    await teacher.stop();
    const again = aya(['run', 'recipe.yaml', '--out', 'run2', '--json'], dir, 170_000, env());
    expect(again.status).toBe(0);
    expect(readFileSync(join(dir, 'run2', 'pairs', 'pairs.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'run1', 'pairs', 'pairs.jsonl'), 'utf8'));
    // And without the cache the stopped servers are named in one line.
    const off = aya(['run', 'recipe.yaml', '--out', 'run3'], dir, 170_000, { AYA_FW_CACHE_DIR: 'off' });
    expect(off.status).toBe(1);
    expect(off.stderr.trim().split('\n').pop()).toMatch(/^aya-fw: error: .*http:\/\/127\.0\.0\.1:\d+\/v1\/completions: ECONNREFUSED/);
  });
});
