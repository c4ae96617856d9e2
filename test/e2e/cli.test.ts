import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aya, json, ROOT, userProject } from './cli';

describe('aya-fw CLI', () => {
  it('prints help and version', () => {
    const help = aya(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['run [options] <recipe>', 'plugins', 'repro [options] <id>', '--plugins <list>', '--backend <name>']) {
      expect(help.stdout).toContain(command);
    }
    // The adapter types of `train --help` come from the registry, built only when the help is shown.
    const train = aya(['train', '--help']);
    expect(train.status).toBe(0);
    expect(train.stdout).toContain('Adapter types (--adapter): lora, ia3, mov, molora, or a plugin\'s');
    const version = aya(['--version']);
    expect(version.stdout.trim()).toBe(require(join(ROOT, 'packages/cli/package.json')).version);
  });

  it('lists what each default plugin contributes', () => {
    const r = aya(['plugins', '--json']);
    expect(r.status).toBe(0);
    const { plugins } = json(r);
    expect(Object.keys(plugins)).toEqual(['data', 'optimizers', 'sft', 'reward', 'preference', 'online-rl', 'peft', 'dpo', 'copg', 'srpo', 'eval', 'bandit', 'merge', 'merge-search', 'arbitrage', 'aya-toy'].map((p) => `@aya-fw/plugin-${p}`));
    expect(plugins['@aya-fw/plugin-optimizers'].optimizers.map((o: { id: string }) => o.id)).toEqual(['adamw', 'adam', 'sgd', 'adafactor']);
    expect(plugins['@aya-fw/plugin-data'].datasetFormats.map((f: { id: string }) => f.id)).toEqual(['jsonl', 'json', 'parquet']);
    expect(plugins['@aya-fw/plugin-merge'].mergeMethods.map((m: { id: string }) => m.id)).toEqual([
      'linear', 'task-arithmetic', 'ties', 'dare-linear', 'dare-ties', 'breadcrumbs', 'breadcrumbs-ties', 'della', 'della-linear',
      'slerp', 'nuslerp', 'multislerp', 'karcher', 'model-stock', 'sce', 'ram', 'ramplus-tl', 'nearswap', 'arcee-fusion', 'passthrough',
    ]);
    expect(plugins['@aya-fw/plugin-dpo'].losses.map((l: { id: string }) => l.id)).toEqual(['dpo', 'ipo']);
    expect(plugins['@aya-fw/plugin-bandit'].trainers[0].id).toBe('bandit');
    expect(plugins['@aya-fw/plugin-peft'].adapters.map((a: { id: string }) => a.id)).toEqual(['lora', 'ia3', 'mov', 'molora']);
    expect(plugins['@aya-fw/plugin-aya-toy'].translators.map((t: { id: string }) => t.id)).toEqual(['toy-translator']);
    expect(plugins['@aya-fw/plugin-arbitrage'].trainers.map((t: { id: string }) => t.id)).toEqual(['arbitrage', 'translated-pairs']);
    expect(plugins['@aya-fw/plugin-peft'].reproductions.map((r: { id: string }) => r.id)).toEqual(['moe-toy']);
    const text = aya(['plugins']);
    expect(text.stdout).toContain('@aya-fw/plugin-copg\n  losses:\n    copg');
  });

  it('an unknown plugin is a one-line usage error with a suggestion, exit 2', () => {
    const r = aya(['--plugins', 'dpoo', 'plugins']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `aya-fw: error: cannot find plugin 'dpoo': tried @aya-fw/plugin-dpoo, aya-fw-plugin-dpoo, dpoo, ./dpoo from ${ROOT}; did you mean 'dpo'?\n`,
    );
  });

  it('a plugin that throws while loading is a one-line failure, exit 1; the stack only with --verbose', () => {
    const dir = userProject();
    mkdirSync(join(dir, 'node_modules', 'aya-fw-plugin-boom'));
    writeFileSync(join(dir, 'node_modules', 'aya-fw-plugin-boom', 'index.js'), "throw new Error('boom: native binding missing');");
    const r = aya(['--plugins', 'boom', 'plugins'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^aya-fw: error: plugin 'boom' \(.*aya-fw-plugin-boom\/index\.js\) threw while loading: boom: native binding missing\n$/);
    const verbose = aya(['--plugins', 'boom', 'plugins', '--verbose'], dir);
    expect(verbose.stderr).toContain('    at ');
  });

  it('a bad recipe names the file, line and field, exit 2, and writes nothing', () => {
    const dir = userProject();
    writeFileSync(join(dir, 'r.yaml'), 'name: toy\nstages:\n  - trainer: bandit\n    with:\n      epochs: 0\n');
    const r = aya(['run', 'r.yaml'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('aya-fw: error: r.yaml:5: stages[0].with.epochs: Too small: expected number to be >0\n');
    expect(existsSync(join(dir, 'runs'))).toBe(false);

    writeFileSync(join(dir, 'r.yaml'), 'name: toy\nstages:\n  - trainer: bandt\n');
    const unknown = aya(['run', 'r.yaml'], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("aya-fw: error: r.yaml:3: stages[0].trainer: unknown trainer 'bandt' (did you mean 'bandit'?); known: sft, reward, preference, sample-pairs, online-dpo, reinforce, rloo, grpo, srpo, win-rate, harm-rate, bandit, merge, merge-search, arbitrage, translated-pairs, toy-world\n");

    writeFileSync(join(dir, 'r.yaml'), 'name: toy\nstages:\n  - trainer: bandit\n    with: { loss: dpoo }\n');
    const loss = aya(['run', 'r.yaml', '--quiet'], dir);
    expect(loss.status).toBe(2);
    expect(loss.stderr).toBe("aya-fw: error: r.yaml:4: stages[0].with.loss: unknown loss 'dpoo' (did you mean 'dpo'?); known: cross-entropy, bradley-terry, reinforce, grpo, dpo, ipo, copg, srpo\n");

    // Unknown fields get the closest declared one, nested ones and TRL's snake_case spellings too.
    writeFileSync(join(dir, 'r.yaml'), 'name: toy\nstages:\n  - trainer: sft\n    with: { model: m, data: d.jsonl, optimizerConfig: { learning_rate: 0.1 } }\n');
    const snake = aya(['run', 'r.yaml', '--quiet'], dir);
    expect(snake.status).toBe(2);
    expect(snake.stderr).toBe("aya-fw: error: r.yaml:4: stages[0].with.optimizerConfig.learning_rate: unknown field (did you mean 'learningRate'?)\n");
    // IPO's τ under TRL's name (beta) is the same number; both at once is refused.
    writeFileSync(join(dir, 'r.yaml'), 'name: toy\nstages:\n  - trainer: preference\n    with: { model: m, data: d.jsonl, loss: ipo, lossConfig: { tau: 0.1, beta: 0.1 } }\n');
    const ipo = aya(['run', 'r.yaml', '--quiet'], dir);
    expect(ipo.status).toBe(2);
    expect(ipo.stderr).toBe("aya-fw: error: r.yaml:4: stages[0].with.lossConfig.beta: give tau or beta (TRL's name for the same τ), not both\n");
    writeFileSync(join(dir, 'c.yaml'), 'epoch: 2\n');
    const epoch = aya(['train', 'sft', '--model', join(ROOT, 'test', 'fixtures', 'hf', 'models', 'llama'), '--data', 'd.jsonl', '--config', 'c.yaml', '--quiet'], dir);
    expect(epoch.status).toBe(2);
    expect(epoch.stderr).toBe("aya-fw: error: c.yaml:1: epoch: unknown field (did you mean 'epochs'?)\n");
  });

  it('rejects a bad option value as a usage error', () => {
    const r = aya(['--backend', 'metal', 'plugins']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("option '-b, --backend <name>' argument 'metal' is invalid");
  });

  it('runs a user-installed loss plugin named with --plugins, and calls its loss', () => {
    const dir = userProject({ 'aya-fw-plugin-hinge': join(ROOT, 'examples', 'custom-loss-plugin') });
    const listed = json(aya(['--plugins', 'hinge', 'plugins', '--json'], dir));
    expect(listed.plugins['aya-fw-plugin-hinge'].losses[0].id).toBe('hinge');

    writeFileSync(
      join(dir, 'recipe.yaml'),
      'name: hinge-bandit\nstages:\n  - name: hinge\n    trainer: bandit\n    with: { loss: hinge, lossConfig: { beta: 0.5, margin: 1 }, pairs: 1000, epochs: 5 }\n',
    );
    const r = aya(['--plugins', 'hinge', 'run', 'recipe.yaml', '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = json(r);
    expect(out.backend).toBe('wasm');
    const metrics = out.stages.hinge.metrics;
    expect(metrics['hinge/active']).toBeGreaterThan(0);
    expect(metrics['hinge/active']).toBeLessThanOrEqual(1);
    expect(metrics.steps).toBe(10);
    expect(existsSync(join(dir, 'runs', 'hinge-bandit', 'run.json'))).toBe(true);
    expect(existsSync(join(dir, 'runs', 'hinge-bandit', 'hinge', 'bandit.json'))).toBe(true);
  });

  it('prints plain progress lines without a TTY, and nothing with --quiet', () => {
    const dir = userProject();
    writeFileSync(join(dir, 'r.yaml'), 'name: tiny\nstages:\n  - trainer: bandit\n    with: { pairs: 512, epochs: 20 }\n');
    const plain = aya(['run', 'r.yaml', '--backend', 'cpu'], dir);
    expect(plain.status).toBe(0);
    const lines = plain.stdout.split('\n');
    expect(lines[0]).toBe('backend: cpu');
    expect(lines[1]).toBe('stage 1/1: bandit (trainer bandit)');
    expect(lines.some((l) => /^bandit {2}\[#+\.*\] {2}50% 10\/20 {2}[\d.]+ it\/s ETA \S+ {2}loss /.test(l))).toBe(true);
    expect(lines).toContain(`run written to ${join(dir, 'runs', 'tiny')}`);
    const quiet = aya(['run', 'r.yaml', '--quiet', '--overwrite'], dir);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe('');
  });
});

const readFirstEvalReward = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((r) => r.step === 0).eval_reward as number;

describe('the main job and the reproduction', () => {
  it('runs the README main job, the whole Aya Expanse recipe: the README\'s claims hold, with intervals, curves and a report', () => {
    const out = join(userProject(), 'out');
    // About 4 minutes on 2 cores with the native kernels.
    const r = aya(['run', 'recipes/aya-toy.yaml', '--json', '--out', out], ROOT, 900_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { stages } = json(r);
    expect(Object.keys(stages)).toEqual(['world', 'euro', 'eastern', 'generalist', 'arbitrage', 'sft-arbitrage', 'sft-single', 'translated', 'dpo', 'online-dpo-a', 'online-dpo-b', 'merged', 'evaluate', 'harm']);
    // The pool: teachers of different strengths per language, and each wins most prompts of the languages it is strong in.
    const summary = JSON.parse(readFileSync(join(out, 'arbitrage', 'summary.json'), 'utf8'));
    const lang = (l: string) => summary.languages[l] as { mean_score: Record<string, number>; wins: Record<string, number> };
    for (const l of ['es', 'fr']) expect(lang(l).mean_score.euro).toBeGreaterThan(lang(l).mean_score.eastern + 1);
    for (const l of ['ru', 'hi', 'ar']) expect(lang(l).mean_score.eastern).toBeGreaterThan(lang(l).mean_score.euro + 0.5);
    for (const l of ['es', 'fr']) expect(lang(l).wins.euro).toBeGreaterThan(0.8 * summary.languages[l].prompts);
    for (const l of ['ru', 'hi', 'ar']) expect(lang(l).wins.eastern).toBeGreaterThan(0.6 * summary.languages[l].prompts);
    const a = stages.arbitrage.metrics;
    for (const t of ['euro', 'eastern', 'generalist']) expect(a['mean_score/arbitrage']).toBeGreaterThan(a[`mean_score/${t}`]);
    expect(a.pairs).toBeGreaterThan(0.8 * a.prompts);
    // Translated pairs in every language.
    for (const lang of ['en', 'es', 'fr', 'ru', 'hi', 'ar']) expect(stages.translated.metrics[`pairs/${lang}`]).toBeGreaterThan(0);
    // What the README says: arbitrage is worth it (the whole interval above 50%, in every stage built on it);
    // DPO, online DPO and the merge are each within a few points of the stage before.
    const m = stages.evaluate.metrics;
    for (const model of ['sft-arbitrage', 'dpo-vs-single', 'merged-vs-single']) expect(m[`winrate/${model}/low`]).toBeGreaterThan(0.6);
    for (const model of ['dpo', 'online-dpo-a', 'online-dpo-b', 'merged']) expect(Math.abs(m[`winrate/${model}`] - 0.5)).toBeLessThan(0.08);
    // Online DPO: three iterations on each language cluster, each starting from the one before.
    for (const run of ['online-dpo-a', 'online-dpo-b']) {
      expect(stages[run].metrics.iterations).toBe(3);
      const record = (i: number) => JSON.parse(readFileSync(join(out, run, `iteration-${i}`, 'iteration.json'), 'utf8'));
      expect(record(1).policy).toBe(join(out, 'dpo', 'model'));
      expect(record(2).policy).toBe(record(1).model);
      expect(record(3).policy).toBe(record(2).model);
    }
    const report = readFileSync(join(out, 'evaluate', 'report.md'), 'utf8');
    expect(report).toContain('| model | baseline | overall | ar | en | es | fr | hi | ru |');
    expect(report).toMatch(/\| sft-arbitrage \| sft-single \| \d+\.\d% \[\d+\.\d, \d+\.\d\] \|/);
    expect(report).toMatch(/\| online-dpo-a \| dpo \| /);
    const svg = readFileSync(join(out, 'evaluate', 'report.svg'), 'utf8');
    expect(svg).toContain('online-dpo-a: sample and held-out reward per iteration');
    expect(svg).toContain('sft-arbitrage: training loss');
    // Held-out curves (dashed) beside the training ones, with tick labels.
    expect(svg).toContain('stroke-dasharray="5 3"');
    expect(svg).toContain('>held-out</text>');
    expect(svg).toMatch(/font-size="10" text-anchor="middle">iteration<\/text>/);
    expect(readFileSync(join(out, 'evaluate', 'report.png')).subarray(1, 4).toString()).toBe('PNG');
    // Harm rates of every model, global and local, on the held-out red-teaming prompts.
    for (const model of ['sft-single', 'dpo', 'merged']) for (const k of ['', '/global', '/local', '/hi/local']) expect(stages.harm.metrics[`harm/${model}${k}`]).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, 'harm', 'report.md'), 'utf8')).toContain('72 red-teaming prompts (48 global, 24 local');
  }, 900_000);

  it('runs the preference-methods recipe: the README\'s claims about its win-rates hold, with intervals and a report', () => {
    const out = join(userProject(), 'out');
    // About two minutes on 2 cores with the native kernels.
    const r = aya(['run', 'recipes/preference-methods.yaml', '--json', '--out', out], ROOT, 900_000);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { stages } = json(r);
    expect(Object.keys(stages)).toEqual(['world', 'sft', 'pairs', 'dpo', 'dpo-averaged', 'copg', 'srpo', 'rloo', 'evaluate', 'harm']);
    expect(stages.world.metrics.languages).toBeGreaterThanOrEqual(5);
    expect(stages.world.metrics.imperfect_share).toBeGreaterThan(0.2);
    const m = stages.evaluate.metrics;
    // What the README says held in every run: SRPO and RLOO beat SFT overall (the whole interval above 50%),
    // every model beats it in English, and the DPO variants and CoPG lose to it in Hindi.
    for (const model of ['srpo', 'rloo']) expect(m[`winrate/${model}/low`]).toBeGreaterThan(0.5);
    for (const model of ['dpo', 'dpo-averaged', 'copg', 'srpo', 'rloo']) {
      expect(m[`winrate/${model}/en`]).toBeGreaterThan(0.5);
      expect(m[`winrate/${model}/low`]).toBeLessThanOrEqual(m[`winrate/${model}`]);
      expect(m[`winrate/${model}/high`]).toBeGreaterThanOrEqual(m[`winrate/${model}`]);
    }
    for (const model of ['dpo', 'dpo-averaged', 'copg']) expect(m[`winrate/${model}/hi`]).toBeLessThan(0.5);
    expect(m['winrate/rloo/hi']).toBeGreaterThanOrEqual(0.5);
    // Online RL raised the held-out reward of greedy answers above the SFT model's it started from.
    expect(stages.rloo.metrics.eval_reward).toBeGreaterThan(readFirstEvalReward(join(out, 'rloo', 'metrics.jsonl')));
    for (const lang of ['en', 'es', 'fr', 'ru', 'hi', 'ar']) expect(stages.evaluate.metrics[`winrate/dpo/${lang}`]).toBeDefined();
    const report = readFileSync(join(out, 'evaluate', 'report.md'), 'utf8');
    expect(report).toContain('| model | overall | ar | en | es | fr | hi | ru |');
    expect(report).toMatch(/\| srpo \| \d+\.\d% \[\d+\.\d, \d+\.\d\] \|/);
    expect(readFileSync(join(out, 'evaluate', 'report.png')).subarray(1, 4).toString()).toBe('PNG');
    // Harm rates of every model, global and local, on the held-out red-teaming prompts.
    for (const model of ['sft', 'dpo', 'rloo']) for (const k of ['', '/global', '/local', '/hi/local']) expect(stages.harm.metrics[`harm/${model}${k}`]).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, 'harm', 'report.md'), 'utf8')).toContain('72 red-teaming prompts (48 global, 24 local');
  }, 900_000);

  it('runs the CoPG bandit recipe: CoPG reaches the optimum, DPO and IPO do not', () => {
    const r = aya(['run', 'recipes/copg-bandit.yaml', '--json', '--out', join(userProject(), 'out')]);
    expect(r.status).toBe(0);
    const { stages } = json(r);
    expect(stages.copg.metrics.regret).toBeLessThan(1e-5);
    expect(stages.dpo.metrics.regret).toBeGreaterThan(1e-3);
    expect(stages.ipo.metrics.regret).toBeGreaterThan(1e-2);
  });

  it('aya-fw repro copg-bandit shows CoPG at the optimum', () => {
    const r = aya(['repro', 'copg-bandit']);
    expect(r.status).toBe(0);
    const copg = r.stdout.split('\n').find((l) => l.startsWith('copg '));
    expect(copg).toBeDefined();
    const regret = Number(/regret\s+(\S+)/.exec(copg!)![1]);
    expect(regret).toBeLessThan(1e-5);
  });
});

describe('aya-fw generate', () => {
  const model = join(ROOT, 'test', 'fixtures', 'hf', 'models', 'llama');
  it('generates greedily and deterministically from a model folder, as text or JSON', () => {
    const a = json(aya(['generate', '--model', model, '--prompt', 'Hello', '-n', '6', '--json']));
    const b = json(aya(['generate', '--model', model, '--prompt', 'Hello', '-n', '6', '--json', '--backend', 'cpu']));
    expect(a.tokens).toHaveLength(6);
    expect(b.tokens).toEqual(a.tokens);
    const chat = json(aya(['generate', '--model', model, '--prompt', 'Hello', '--chat', '-n', '4', '--json', '--sample', '--seed', '1']));
    expect(chat.tokens).toHaveLength(4);
    // The completion alone on stdout; the banner on stderr; --quiet keeps the completion.
    const text = aya(['generate', '--model', model, '--prompt', 'Hello', '-n', '3']);
    expect(text.status).toBe(0);
    const completion = json(aya(['generate', '--model', model, '--prompt', 'Hello', '-n', '3', '--json'])).completion;
    expect(text.stdout).toBe(`${completion}\n`);
    expect(text.stderr).toMatch(/^backend: /);
    const quiet = aya(['generate', '--model', model, '--prompt', 'Hello', '-n', '3', '-q']);
    expect(quiet.stdout).toBe(`${completion}\n`);
    expect(quiet.stderr).toBe('');
  });

  it('self-revises the answer with --revisions (SRPO inference)', () => {
    const r = json(aya(['generate', '--model', model, '--prompt', 'Hello', '-n', '4', '--revisions', '2', '--json']));
    expect(r.drafts).toHaveLength(3);
    expect(r.completion).toBe(r.drafts[2]);
    expect(aya(['generate', '--model', model, '--prompt', 'Hello', '--chat', '--revisions', '1']).status).toBe(2);
  });

  it('names a folder that is not a model', () => {
    const r = aya(['generate', '--model', join(ROOT, 'docs'), '--prompt', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`aya-fw: error: ${join(ROOT, 'docs')}: no tokenizer.json (only the fast-tokenizer format is supported)\n`);
    expect(aya(['generate', '--prompt', 'x']).status).toBe(2);
    const missing = aya(['generate', '--model', 'no/such/folder', '--prompt', 'x']);
    expect([missing.status, missing.stderr]).toEqual([2, 'aya-fw: error: no/such/folder: no such model folder\n']);
    const hub = aya(['generate', '--model', 'CohereLabs/aya-expanse-8b', '--prompt', 'x']);
    expect(hub.status).toBe(2);
    expect(hub.stderr).toBe(
      'aya-fw: error: CohereLabs/aya-expanse-8b: no such folder; it looks like a Hugging Face Hub id, and aya-fw reads local folders only (nothing is downloaded): huggingface-cli download CohereLabs/aya-expanse-8b --local-dir models/aya-expanse-8b, then use models/aya-expanse-8b\n',
    );
  });
});

describe('aya-fw merge', () => {
  it('merges a mergekit YAML into a folder that re-loads, and refuses bad input before writing', () => {
    const dir = userProject();
    const llama = join(ROOT, 'test', 'fixtures', 'hf', 'models', 'llama');
    writeFileSync(join(dir, 'merge.yml'), `merge_method: slerp\nbase_model: ${llama}\nmodels:\n  - model: ${llama}\n  - model: ${llama}\nparameters:\n  t: [0, 0.5, 1]\n`);
    const r = aya(['merge', 'merge.yml', '--out', 'merged', '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(json(r).merge.tensors).toBe(21);
    const gen = json(aya(['generate', '--model', join(dir, 'merged'), '--prompt', 'Hello', '-n', '4', '--json'], dir));
    const same = json(aya(['generate', '--model', llama, '--prompt', 'Hello', '-n', '4', '--json'], dir));
    expect(gen.tokens).toEqual(same.tokens);

    writeFileSync(join(dir, 'bad.yml'), `merge_method: linear\nmodels:\n  - model: ${llama}\n`);
    const bad = aya(['merge', 'bad.yml', '--out', 'bad-out'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("parameter 'weight' is required by merge method 'linear'");
    expect(existsSync(join(dir, 'bad-out'))).toBe(false);
  });

  it('bench merge prints throughput next to the raw read rate', () => {
    const r = aya(['bench', 'merge', '--size-gb', '0.05', '--models', '2', '--json']);
    expect(r.status).toBe(0);
    const b = json(r).benchMerge;
    expect(b.models).toBe(2);
    expect(b.readGbPerSecond).toBeGreaterThan(0);
    expect(b.mergeGbPerSecond).toBeGreaterThan(0);
    expect(b.peakRssMb).toBeLessThan(1024);
  });
});

describe('aya-fw bench', () => {
  it('bench train prints tokens/s and leaks no tensors per step; generate and matmul print rates', () => {
    const config = join(ROOT, 'bench', 'bench-a', 'config.json');
    const train = json(aya(['bench', 'train', '--model', config, '--batch', '2', '--seq', '16', '--steps', '2', '--json'])).benchTrain;
    expect(train.backend).toBe('wasm');
    expect(train.tokensPerSecond).toBeGreaterThan(0);
    expect(train.tensorsLeakedPerStep).toBe(0);
    const gen = json(aya(['bench', 'generate', '--model', config, '--new-tokens', '4', '--json'])).benchGenerate;
    expect(gen.map((g: { batch: number }) => g.batch)).toEqual([1, 8]);
    const mm = json(aya(['bench', 'matmul', '--json'])).benchMatmul;
    expect(mm.every((m: { gflops: number }) => m.gflops > 0)).toBe(true);
  });

  it('bench rl times one online RL step by phase on stdout, and refuses a missing model with exit 2', () => {
    const config = join(ROOT, 'bench', 'bench-a', 'config.json');
    const r = aya(['bench', 'rl', '--model', config, '--prompts', '2', '-k', '2', '--new-tokens', '4', '--steps', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rl = json(r).benchRl;
    expect(rl).toMatchObject({ backend: 'wasm', prompts: 2, k: 2, newTokens: 4, steps: 2, tensorsLeakedPerStep: 0 });
    expect(rl.stepSeconds).toBeGreaterThanOrEqual(rl.phases.generate);
    expect(rl.sampledTokensPerSecond).toBeGreaterThan(0);
    const text = aya(['bench', 'rl', '--model', config, '--prompts', '1', '-k', '2', '--new-tokens', '2', '--steps', '1']);
    expect(text.stdout).toMatch(/rl step \(.*\) on wasm, \d threads?: \d+ ms median of 1 — generate \d+ ms/);
    const missing = aya(['bench', 'rl']);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error: required option '-m, --model <path>' not specified\n/);
  });

  it('repro takes --size full|reduced and --out, and refuses another size with exit 2 and one line', () => {
    const bad = aya(['repro', 'back-to-basics', '--size', 'tiny']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe("aya-fw: error: --size: expected full or reduced, got 'tiny'\n");
  });
});

describe('progress lines', () => {
  it('say nothing about the rate before it can be measured (the first tick once read "1000000000 it/s")', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { progressLine } = require('../../packages/cli/src/reporters/terminal') as typeof import('../../packages/cli/src/reporters/terminal');
    expect(progressLine('sft', 1, 10, 1000, undefined, 1000)).toBe('sft  [##..................]  10% 1/10  – it/s ETA ?');
    expect(progressLine('sft', 5, 10, 0, 'loss 0.4', 2000)).toBe('sft  [##########..........]  50% 5/10  2.5 it/s ETA 2s  loss 0.4');
    expect(progressLine('merge', 3, undefined, 0, undefined, 1)).toBe('merge  3 done, – it/s');
  });
});

describe('serve, bench serve and eval through the binary', () => {
  const model = join(ROOT, 'test', 'fixtures', 'hf', 'models', 'llama');
  it('bench serve prints requests/s and tokens/s per number of clients; bad input is one line, exit 2', () => {
    const r = aya(['bench', 'serve', '--model', model, '--clients', '1,2', '--requests', '2', '--new-tokens', '4', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = json(r).benchServe;
    expect(rows.map((x: { clients: number; requests: number }) => [x.clients, x.requests])).toEqual([[1, 2], [2, 4]]);
    for (const x of rows) expect(x.tokensPerSecond).toBeGreaterThan(0);
    const plain = aya(['bench', 'serve', '--model', model, '--clients', '1', '--requests', '1', '--new-tokens', '2']);
    expect(plain.stdout).toMatch(/serve, 1 concurrent client \(1 requests × 2 tokens, wasm, \d threads?\): [\d.]+ requests\/s, \d+ tokens\/s, median latency \d+ ms/);
    const missing = aya(['bench', 'serve', '--model', 'no/such/folder']);
    expect([missing.status, missing.stderr]).toEqual([2, `aya-fw: error: ${join(ROOT, 'no/such/folder')}: no such model folder\n`]);
  });

  it('serve and eval refuse bad input with one line and exit 2', () => {
    const serve = aya(['serve', '--model', 'no/such/folder', '--port', '0']);
    expect([serve.status, serve.stderr]).toEqual([2, `aya-fw: error: ${join(ROOT, 'no/such/folder')}: no such model folder\n`]);
    const json = aya(['eval', 'winrate', '--model', model, '--baseline', model, '--prompts', 'p.jsonl', '--judge', 'toy-judge', '--judge-config', '{bad']);
    expect(json.status).toBe(2);
    expect(json.stderr).toMatch(/^aya-fw: error: --judge-config: not valid JSON \(.*\)\n$/);
    const judge = aya(['eval', 'winrate', '--model', model, '--baseline', model, '--prompts', 'p.jsonl', '--judge', 'no-such-judge']);
    expect(judge.status).toBe(2);
    expect(judge.stderr).toMatch(/unknown judge 'no-such-judge'/);
  });
});
