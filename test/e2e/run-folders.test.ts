import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readScalarEvents } from '@aya-fw/core';
import { aya, json, killDuring, ROOT, userProject } from './cli';
import { arithmetic, tinyModel, writeJsonl } from './helpers/tiny-model';

/** [step, loss] of every training line of a metrics file. */
const losses = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'loss' in r).map((r) => [r.step, r.loss]);
const train = (extra: string[] = []) => ['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'c.yaml', '--out', 'out', ...extra];

async function project(config: string): Promise<string> {
  const dir = userProject();
  await tinyModel(dir);
  writeJsonl(join(dir, 'data.jsonl'), arithmetic(64));
  writeFileSync(join(dir, 'c.yaml'), config);
  copyFileSync(join(ROOT, 'test', 'e2e', 'helpers', 'pause-plugin.js'), join(dir, 'pause-plugin.js'));
  return dir;
}

describe('output folders', () => {
  it('refuses a used output folder unless --resume or --overwrite, and --overwrite deletes only run folders', async () => {
    const dir = await project('maxSteps: 2\nevalSplit: 0\n');
    expect(aya(train(['--quiet']), dir).status).toBe(0);
    const before = readdirSync(join(dir, 'out', 'checkpoints'));
    const again = aya(train(), dir);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^aya-fw: error: .*out already holds files \(.*\); pass --resume to continue that run, --overwrite to replace it, or choose another --out\n$/);
    expect(readdirSync(join(dir, 'out', 'checkpoints'))).toEqual(before);

    writeFileSync(join(dir, 'out', 'stale.txt'), 'from the earlier run');
    const replaced = aya(train(['--overwrite', '--json']), dir);
    expect(replaced.status).toBe(0);
    expect(readdirSync(join(dir, 'out'))).not.toContain('stale.txt');
    expect(json(replaced).metrics.steps).toBe(2);

    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes.txt'), 'keep me');
    const refused = aya([...train(), '--out', 'mine', '--overwrite'], dir);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/mine holds files that are not an aya-fw run's; --overwrite deletes only run folders/);
    expect(readFileSync(join(dir, 'mine', 'notes.txt'), 'utf8')).toBe('keep me');

    const recipe = 'name: twice\nstages:\n  - name: sft\n    trainer: sft\n    with: { model: model, data: data.jsonl, maxSteps: 1, evalSplit: 0 }\n';
    writeFileSync(join(dir, 'r.yaml'), recipe);
    expect(aya(['run', 'r.yaml', '--out', 'rec', '--quiet'], dir).status).toBe(0);
    const rerun = aya(['run', 'r.yaml', '--out', 'rec'], dir);
    expect(rerun.status).toBe(2);
    expect(rerun.stderr).toContain('rec already holds files');
    expect(aya(['run', 'r.yaml', '--out', 'rec', '--overwrite', '--quiet'], dir).status).toBe(0);
  });

  it('a resume compares fingerprints (options, data), and a finished run resumed reports its real loss, never NaN', async () => {
    const dir = await project('maxSteps: 4\ncheckpointEvery: 2\nevalSplit: 0\n');
    expect(aya(train(['--quiet']), dir).status).toBe(0);
    const last = losses(join(dir, 'out', 'metrics.jsonl')).at(-1)![1];

    const done = aya(train(['--resume', '--json']), dir);
    expect(done.status).toBe(0);
    expect(done.stdout).not.toMatch(/NaN|null/);
    expect(json(done).metrics.train_loss).toBe(last);

    writeFileSync(join(dir, 'c.yaml'), 'maxSteps: 6\ncheckpointEvery: 1\nevalSplit: 0\n');
    const changed = aya(train(['--resume']), dir);
    expect(changed.status).toBe(2);
    // checkpointEvery may change on a resume; maxSteps may not without --force-resume.
    expect(changed.stderr).toMatch(/out: its checkpoints come from a different run \(maxSteps 4 → 6\); pass --force-resume to resume anyway, or --overwrite to start over\n$/);

    writeJsonl(join(dir, 'data.jsonl'), arithmetic(65));
    const data = aya(train(['--resume']), dir);
    expect(data.status).toBe(2);
    expect(data.stderr).toContain('maxSteps 4 → 6; data.jsonl changed');

    const forced = aya(train(['--force-resume']), dir);
    expect(forced.status).toBe(0);
    expect(forced.stderr).toContain('resuming although maxSteps 4 → 6; data.jsonl changed (--force-resume)');
    expect(forced.stdout).toContain('sft: resuming after step 4');
    expect(losses(join(dir, 'out', 'metrics.jsonl')).map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    // saveTotalLimit (default 3) keeps the newest three of the checkpoints at 2, 4, 5 and 6.
    expect(readdirSync(join(dir, 'out', 'checkpoints'))).toEqual(['step-000004', 'step-000005', 'step-000006']);
  });

  it('keeps saveTotalLimit checkpoints; a resume drops the rolled-back steps from metrics.jsonl and TensorBoard', async () => {
    const config = 'optimizerConfig: { learningRate: 0.003 }\nmaxSteps: 8\ncheckpointEvery: 4\nsaveTotalLimit: 1\nevalSplit: 0\n';
    const straight = await project(config);
    expect(aya(train(['--quiet']), straight).status).toBe(0);
    const expected = losses(join(straight, 'out', 'metrics.jsonl'));
    expect(readdirSync(join(straight, 'out', 'checkpoints'))).toEqual(['step-000008']);

    const dir = await project(config);
    // Killed during step 6: step 5 is logged, the newest checkpoint is step 4, so the resume rolls step 5 back.
    await killDuring(dir, [...train(), '--quiet'], { AYA_TEST_PAUSE_STEP: '6' });
    expect(losses(join(dir, 'out', 'metrics.jsonl')).map(([s]) => s)).toEqual([1, 2, 3, 4, 5]);
    const resumed = aya(train(['--resume', '--quiet']), dir);
    expect(resumed.status).toBe(0);
    expect(losses(join(dir, 'out', 'metrics.jsonl'))).toEqual(expected);
    const drawn = readScalarEvents(join(dir, 'out', 'tensorboard')).filter((e) => e.tag === 'loss');
    expect(drawn.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    drawn.forEach((e, i) => expect(e.value).toBeCloseTo(expected[i][1], 5));
  });

  it('SIGINT finishes the step, writes a checkpoint, says how to resume (exit 130), and the resume matches an uninterrupted run', async () => {
    const config = 'optimizerConfig: { learningRate: 0.003 }\nmaxSteps: 6\nevalSplit: 0\n';
    const straight = await project(config);
    expect(aya(train(['--quiet']), straight).status).toBe(0);
    const expected = losses(join(straight, 'out', 'metrics.jsonl'));

    const dir = await project(config);
    const stopped = aya(['--plugins', './pause-plugin.js', ...train()], dir, 170_000, { AYA_TEST_SIGINT_STEP: '3' });
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toContain('interrupted: finishing the current step and writing a checkpoint');
    expect(stopped.stderr).toMatch(/aya-fw: interrupted: sft stopped after step 3 of 6; checkpoint .*out\/checkpoints\/step-000003\naya-fw: resume with: aya-fw --plugins \.\/pause-plugin\.js train sft --model model --data data\.jsonl --config c\.yaml --out out --resume\n$/);
    expect(stopped.stderr).not.toContain('error');
    expect(readdirSync(join(dir, 'out', 'checkpoints'))).toEqual(['step-000003']);
    const resumed = aya(train(['--resume', '--json']), dir);
    expect(resumed.status).toBe(0);
    expect(losses(join(dir, 'out', 'metrics.jsonl'))).toEqual(expected);
  });
});
