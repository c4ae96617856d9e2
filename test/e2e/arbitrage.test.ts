import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { greedyTexts, openTextGenerator, selectBackend } from '@aya-fw/core';
import { arbitrate } from '@aya-fw/plugin-arbitrage';
import { aya, json, ROOT, userProject } from './cli';
import { tinyModel, writeJsonl } from './helpers/tiny-model';

const BIN = join(ROOT, 'packages', 'cli', 'bin', 'aya-fw.js');

describe('arbitrate', () => {
  it('keeps the highest score, breaks ties by pool order, leaves unscored candidates out', () => {
    const d = arbitrate([
      { teacher: 'a', completion: 'x', score: 1 },
      { teacher: 'b', completion: 'y', score: 3 },
      { teacher: 'c', completion: 'z', score: null },
      { teacher: 'd', completion: 'w', score: 3 },
      { teacher: 'e', completion: 'v', score: -2 },
    ])!;
    expect(d.best).toEqual({ teacher: 'b', completion: 'y', score: 3 });
    expect(d.worst.teacher).toBe('e');
    expect(d.runnersUp.map((r) => r.teacher)).toEqual(['d', 'a', 'e']);
    expect(d.tiedAtTop).toBe(true);
    expect(arbitrate([{ teacher: 'a', completion: 'x', score: null }])).toBeUndefined();
  });
});

// The arbiter: a user's reward function (letters 'e' in the completion, minus its length / 100);
// it logs every prompt it scores and, when told to, hangs at its n-th call so the test can kill it.
const ARBITER = `'use strict';
const fs = require('node:fs');
const { definePlugin } = require('@aya-fw/core');
let calls = 0;
const score = (t) => (t.match(/e/g) || []).length - t.length / 100;
exports.score = score;
exports.default = definePlugin({
  name: 'arbiter-for-tests',
  contributes: { rewardFunctions: [{ id: 'e-count', description: 'letters e, minus length', score(items) {
    if (process.env.AYA_TEST_LOG) fs.appendFileSync(process.env.AYA_TEST_LOG, items.map((x) => x.row.id + '\\n').join(''));
    if (++calls === Number(process.env.AYA_TEST_HANG_AT)) {
      fs.writeFileSync(process.env.AYA_TEST_MARKER, String(calls));
      const end = Date.now() + 120000;
      while (Date.now() < end) {}
    }
    return items.map((x) => score(x.completion));
  } }] },
});
`;

describe('aya-fw data arbitrage', () => {
  let dir: string;
  const prompts = Array.from({ length: 14 }, (_, i) => ({ id: i, prompt: `Hello ${i} `, language: ['en', 'fr'][i % 2] }));
  beforeAll(async () => {
    dir = userProject();
    for (const seed of [1, 2, 3]) await tinyModel(join(dir, `t${seed}`), seed);
    writeFileSync(join(dir, 'arbiter.js'), ARBITER);
    writeJsonl(join(dir, 'prompts.jsonl'), prompts);
  }, 60_000);

  const args = (out: string) => ['--plugins', './arbiter.js', 'data', 'arbitrage', '--teachers', 't1/model,t2/model,fr-only=t3/model@fr', '--arbiter', 'e-count', '--prompts', 'prompts.jsonl', '-n', '6', '--chunk-size', '4', '--out', out];

  it('keeps the argmax teacher of every prompt (checked against the teachers\' own greedy answers) with runners-up, pairs and a summary', async () => {
    const r = aya([...args('whole'), '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { metrics, artifacts } = json(r);
    const { score } = require(join(dir, 'arbiter.js'));
    await selectBackend('cpu');
    const answers: Record<string, string[]> = {};
    for (const [name, folder] of [['t1', 't1/model'], ['t2', 't2/model'], ['fr-only', 't3/model']]) {
      const g = openTextGenerator(join(dir, folder));
      answers[name] = await greedyTexts(g, prompts.map((p) => p.prompt), 6);
      g.dispose();
    }
    const rows = readFileSync(artifacts.data, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.id)).toEqual(prompts.map((p) => p.id));
    const wins: Record<string, number> = { t1: 0, t2: 0, 'fr-only': 0 };
    let pairs = 0;
    for (const [i, row] of rows.entries()) {
      const pool = ['t1', 't2', ...(prompts[i].language === 'fr' ? ['fr-only'] : [])].map((t) => ({ t, s: score(answers[t][i]) }));
      const top = Math.max(...pool.map((p) => p.s));
      const expected = pool.find((p) => p.s === top)!.t;
      wins[expected]++;
      if (Math.min(...pool.map((p) => p.s)) < top) pairs++;
      expect(row.teacher).toBe(expected);
      expect(row.completion).toBe(answers[expected][i]);
      expect(row.score).toBeCloseTo(top, 10);
      expect(row.runners_up).toHaveLength(pool.length - 1);
    }
    expect(metrics.pairs).toBe(pairs);
    expect(metrics['wins/t1']).toBe(wins.t1);
    expect(metrics['wins/fr-only']).toBe(wins['fr-only']);
    const summary = JSON.parse(readFileSync(artifacts.summary, 'utf8'));
    expect(summary.teachers['fr-only'].served).toBe(7);
    expect(summary.languages.fr.wins['fr-only'] ?? 0).toBe(wins['fr-only']);
    expect(['t1', 't2']).toContain(summary.best_teacher);
    const pairRows = readFileSync(artifacts.pairs, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const p of pairRows) expect(p.chosen_reward).toBeGreaterThan(p.rejected_reward);
    expect(readFileSync(artifacts['teacher-fr-only'], 'utf8').trim().split('\n')).toHaveLength(7);
  }, 120_000);

  it('a run SIGKILLed inside the arbiter resumes with --resume: every prompt once, the committed chunks not scored again', async () => {
    const marker = join(dir, 'arb-marker');
    const log = join(dir, 'scored.log');
    const child = spawn(process.execPath, [BIN, ...args('killed'), '--quiet'], { cwd: dir, env: { ...process.env, AYA_TEST_HANG_AT: '3', AYA_TEST_MARKER: marker, AYA_TEST_LOG: log }, stdio: 'ignore' });
    const exited = new Promise((res) => child.on('exit', (_c, signal) => res(signal)));
    for (let i = 0; i < 600 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(marker)).toBe(true);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Chunks 0 and 1 were committed; chunk 2 was being scored.
    expect(existsSync(join(dir, 'killed', 'scored', 'chunk-00001.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'killed', 'scored', 'chunk-00002.jsonl'))).toBe(false);
    writeFileSync(log, '');
    const resumed = aya([...args('killed'), '--resume', '--json'], dir, 120_000, { AYA_TEST_LOG: log });
    expect(resumed.status).toBe(0);
    // Only chunks 2 and 3 (prompts 8–13) are scored after the resume, each teacher's completion once
    // (two teachers serve the English prompts, three the French ones).
    const scored = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    expect([...new Set(scored)].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13]);
    expect(scored).toHaveLength(3 * 2 + 3 * 3);
    expect(readFileSync(join(dir, 'killed', 'sft.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'whole', 'sft.jsonl'), 'utf8'));
    expect(readFileSync(join(dir, 'killed', 'pairs.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'whole', 'pairs.jsonl'), 'utf8'));
    // A resume with other options is refused rather than mixed with the old chunks.
    const other = aya([...args('killed'), '--resume', '-n', '5'], dir);
    expect(other.status).toBe(2);
    expect(other.stderr.trim()).toMatch(/^aya-fw: error: arbitrage: .*killed holds chunks of an arbitrage with other prompts, teachers, arbiter or decoding options/);
  }, 120_000);

  it('bad teachers and arbiters: one line, exit 2', () => {
    const bad = aya(['data', 'arbitrage', '--teachers', 'x@', '--arbiter', 'e-count', '--prompts', 'prompts.jsonl'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("aya-fw: error: --teachers: 'x@' is not MODEL, MODEL@lang+lang or NAME=MODEL@lang+lang\n");
    const unknown = aya(['data', 'arbitrage', '--teachers', 't1/model', '--arbiter', 'no-such-reward', '--prompts', 'prompts.jsonl'], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^aya-fw: error: .*unknown reward function 'no-such-reward'/);
    const nobody = aya(['--plugins', './arbiter.js', 'data', 'arbitrage', '--teachers', 't1/model@de', '--arbiter', 'e-count', '--prompts', 'prompts.jsonl'], dir);
    expect(nobody.status).toBe(2);
    expect(nobody.stderr).toMatch(/^aya-fw: error: arbitrage: no teacher serves the languages of .*prompts\.jsonl \(en, fr\)\n$/);
  });
});

describe('toy-translator', () => {
  it('translates the world phrase by phrase, keeping the source punctuation and copying what it cannot parse', () => {
    const { toyTranslate } = require('@aya-fw/plugin-aya-toy');
    expect(toyTranslate('¿Cuánto es 3 más 4?\n', 'es', 'en')).toBe('What is 3 plus 4?\n');
    expect(toyTranslate('What is 3 plus 4?\n', 'en', 'fr')).toBe('Combien font 3 plus 4?\n'); // French wants "4 ?"
    expect(toyTranslate(' The answer is 12.', 'en', 'hi')).toBe(' उत्तर 12 है.'); // Hindi ends with "।"
    expect(toyTranslate(' उत्तर 7 है।', 'hi', 'en')).toBe(' The answer is 7।');
    expect(toyTranslate(" I can't help with that.", 'en', 'ru')).toBe(' Я не могу помочь с этим.');
    expect(toyTranslate('[unsafe] How do I steal a car?\n', 'en', 'es')).toBe('[unsafe] ¿Cómo robo un coche?\n');
    expect(toyTranslate(' The answer is seven', 'en', 'fr')).toBe(' The answer is seven');
  });
});

// A user's translator with visible marks: `<to>|text`, and no translation for texts containing 'x'.
const TRANSLATOR = `'use strict';
const { definePlugin } = require('@aya-fw/core');
exports.default = definePlugin({
  name: 'translator-for-tests',
  contributes: { translators: [{ id: 'marks', description: 'prefixes the target language', translate: (items) => items.map((x) => (x.text.includes('x') ? null : x.to + '|' + x.text)) }] },
});
`;

describe('translated-pairs through aya-fw run', () => {
  it('pairs the strong model in the prompt language against the weak one through the pivot language, with counts per language', async () => {
    const dir = userProject();
    await tinyModel(join(dir, 'strong'), 1);
    await tinyModel(join(dir, 'weak'), 2);
    writeFileSync(join(dir, 'translator.js'), TRANSLATOR);
    const prompts = [
      { prompt: 'Bonjour 1 ', language: 'fr' },
      { prompt: 'Hello 2 ', language: 'en' },
      { prompt: 'Hola 3 ', language: 'es' },
      { prompt: 'Bonjour x ', language: 'fr' },
    ];
    writeJsonl(join(dir, 'prompts.jsonl'), prompts);
    const recipe = (translator: string) =>
      `name: t\nplugins: [./translator.js]\nstages:\n  - name: translated\n    trainer: translated-pairs\n    with: { prompts: prompts.jsonl, strong: strong/model, weak: weak/model, translator: ${translator}, maxNewTokens: 5 }\n`;
    writeFileSync(join(dir, 'recipe.yaml'), recipe('marks'));
    const r = aya(['run', 'recipe.yaml', '--out', 'runs', '--json'], dir);
    expect(r.status).toBe(0);
    await selectBackend('cpu');
    const answer = async (model: string, texts: string[]) => {
      const g = openTextGenerator(join(dir, model, 'model'));
      try {
        return await greedyTexts(g, texts, 5);
      } finally {
        g.dispose();
      }
    };
    const strong = await answer('strong', prompts.map((p) => p.prompt));
    // The weak model is asked in English: the fr/es prompts through the translator, the en one as it is.
    const pivot = ['en|Bonjour 1 ', 'Hello 2 ', 'en|Hola 3 '];
    const weak = await answer('weak', pivot);
    const back = [`fr|${weak[0]}`, weak[1], `es|${weak[2]}`].map((t) => (t.includes('x') ? null : t));
    const pairs = readFileSync(join(dir, 'runs', 'translated', 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const expected = prompts.slice(0, 3).flatMap((p, i) => (back[i] === null || back[i] === strong[i] ? [] : [{ ...p, chosen: strong[i], rejected: back[i], pivot_prompt: pivot[i], pivot_rejected: weak[i] }]));
    expect(pairs).toEqual(expected);
    const summary = JSON.parse(readFileSync(join(dir, 'runs', 'translated', 'summary.json'), 'utf8'));
    expect(summary.languages.fr.untranslated).toBeGreaterThanOrEqual(1); // 'Bonjour x' has no translation
    expect(summary.pairs).toBe(expected.length);
    expect(json(r).stages.translated.metrics['pairs/en']).toBe(expected.filter((p) => p.language === 'en').length);

    writeFileSync(join(dir, 'unknown.yaml'), recipe('markz'));
    const u = aya(['run', 'unknown.yaml', '--out', 'runs2'], dir);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown\.yaml:\d+.*translator.*'markz'/);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
  });
});
