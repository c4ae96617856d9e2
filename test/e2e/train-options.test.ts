import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aya, json, ROOT, userProject } from './cli';
import { arithmetic, sumPreferences, tinyModel, writeJsonl } from './helpers/tiny-model';

const metrics = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const fingerprint = (dir: string) => JSON.parse(readFileSync(join(dir, 'fingerprint.json'), 'utf8')).config;

describe('trainer options on the command line', () => {
  it('flags (kebab-case, snake_case, TRL names, --no-x, lists) and --set override the config file, into the trainer, its optimizer and its loss', async () => {
    const dir = userProject();
    await tinyModel(dir);
    writeJsonl(join(dir, 'data.jsonl'), arithmetic(40));
    writeFileSync(join(dir, 'c.yaml'), 'maxSteps: 9\nbatchSize: 16\noptimizerConfig: { learningRate: 0.5, weightDecay: 0 }\nevalSplit: 0\npacking: true\n');
    const r = aya(
      ['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--config', 'c.yaml', '--out', 'out', '--json',
        '--max-steps', '3', '--per_device_train_batch_size=4', '--learning_rate', '2e-3', '--no-packing', '--schedule.type', 'cosine', '--warmup-steps=1', '--set', 'gradientAccumulation=2'],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(json(r).metrics.steps).toBe(3);
    const used = fingerprint(join(dir, 'out'));
    expect(used).toMatchObject({ maxSteps: 3, batchSize: 4, packing: false, gradientAccumulation: 2, schedule: { type: 'cosine', warmupSteps: 1 }, optimizerConfig: { learningRate: 2e-3, weightDecay: 0 } });
    // The schedule ran with the flag's learning rate: warm-up from 0, then 2e-3 at step 2.
    const lr = metrics(join(dir, 'out', 'metrics.jsonl')).filter((l) => 'loss' in l).map((l) => l.learning_rate);
    expect(lr[0]).toBe(0);
    expect(lr[1]).toBeCloseTo(2e-3, 9);

    writeJsonl(join(dir, 'pairs.jsonl'), sumPreferences(16));
    const pref = aya(['train', 'preference', '--model', 'model', '--data', 'pairs.jsonl', '--out', 'pref', '--max-steps', '1', '--languages', 'de'], dir);
    expect(pref.status).toBe(2);
    expect(pref.stderr).toContain("has no rows whose 'language' is one of de");
    const ok = aya(['train', 'preference', '--model', 'model', '--data', 'pairs.jsonl', '--out', 'pref2', '--max-steps', '1', '--eval-split', '0', '--beta', '0.3', '--set', 'lossConfig.labelSmoothing=0.1', '--languages', 'en,fr'], dir);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('preference: loss dpo (the default; another with --loss <id>');
    expect(fingerprint(join(dir, 'pref2'))).toMatchObject({ languages: ['en', 'fr'], lossConfig: { beta: 0.3, labelSmoothing: 0.1 } });
    // A loss chosen on the command line brings its own flags.
    const ipo = aya(['train', 'preference', '--model', 'model', '--data', 'pairs.jsonl', '--out', 'ipo', '--max-steps', '1', '--eval-split', '0', '--loss', 'ipo', '--tau', '0.25'], dir);
    expect(ipo.status).toBe(0);
    expect(fingerprint(join(dir, 'ipo'))).toMatchObject({ loss: 'ipo', lossConfig: { tau: 0.25 } });
  });

  it('unknown or malformed flags are one-line usage errors that point to the right name', async () => {
    const dir = userProject();
    await tinyModel(dir);
    writeJsonl(join(dir, 'data.jsonl'), arithmetic(8));
    const run = (...flags: string[]) => aya(['train', 'sft', '--model', 'model', '--data', 'data.jsonl', '--out', 'out', ...flags], dir);
    const cases: [string[], string][] = [
      [['--lr', '1e-4'], "aya-fw: error: --lr: trainer 'sft' has no such option (did you mean --learning-rate?); aya-fw train sft --help lists them\n"],
      [['--epoch', '2'], "aya-fw: error: --epoch: trainer 'sft' has no such option (did you mean --epochs?); aya-fw train sft --help lists them\n"],
      [['--batch-size', 'four'], "aya-fw: error: --batch-size: expected a number, got 'four'\n"],
      [['--max-steps'], 'aya-fw: error: --max-steps needs a value (integer)\n'],
      [['--output_dir', 'x'], 'aya-fw: error: --output_dir: use --out\n'],
      [['--set', 'lossConfig'], 'aya-fw: error: --set lossConfig: expected path=value (e.g. --set lossConfig.beta=0.2)\n'],
      [['--max-steps', '0'], 'aya-fw: error: aya-fw train sft: maxSteps: Too small: expected number to be >0\n'],
    ];
    for (const [flags, stderr] of cases) {
      const r = run(...flags);
      expect([flags, r.status, r.stderr]).toEqual([flags, 2, stderr]);
    }
  });

  it("train <trainer> --help and plugins --trainer list the trainer's options with types, defaults and docs, following --loss", () => {
    const help = aya(['train', 'preference', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: aya-fw train [options] [trainer]');
    expect(help.stdout).toMatch(/--batch-size +integer = 8 +Rows per micro-batch/);
    expect(help.stdout).toMatch(/Options of its optimizer adamw .*\n(.*\n)*  --learning-rate +number = 0\.001 +Step size/);
    expect(help.stdout).toMatch(/Options of its loss dpo .*\n(.*\n)*  --beta +number = 0\.1 +β/);
    const ipo = aya(['train', 'preference', '--loss', 'ipo', '--help']);
    expect(ipo.stdout).toMatch(/Options of its loss ipo .*\n(.*\n)*  --tau +number/);
    const plugins = aya(['plugins', '--trainer', 'grpo']);
    expect(plugins.status).toBe(0);
    expect(plugins.stdout).toMatch(/--num-generations +integer/);
    const all = aya(['train', '--help']);
    expect(all.stdout).toMatch(/Trainers \(aya-fw train <trainer> --help.*\n(.*\n)*  grpo +GRPO/);
  });

  it('docs/reference.md is what aya-fw plugins --markdown generates from the schemas', () => {
    const r = aya(['plugins', '--markdown']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('| `learningRate` | number | `0.001` |');
    expect(readFileSync(join(ROOT, 'docs', 'reference.md'), 'utf8')).toBe(r.stdout);
  });
});
