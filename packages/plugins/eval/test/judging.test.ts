import { createTestEngine } from '@aya-fw/core/testing';
import dataPlugin from '@aya-fw/plugin-data';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapInterval, parseVerdict, promptBattles, readEvalPrompts, winRateOf, WinRateConfigSchema } from '../src';

describe('parsing an LLM judge\'s verdict (Arena-Hard rules)', () => {
  it.each([
    ['My final verdict is tie: [[A=B]]', 'tie'],
    ['Assistant A is much better. [[A>>B]]', 'a>>b'],
    ['[[b>a]] lower case is upper-cased', 'b'],
    ['first [[A>B]], then on reflection [[B>>A]]', 'b>>a'],
    ['single brackets only: [A>B]', 'a'],
    ['double wins over single: [[B>A]] and later [A>B]', 'b'],
    ['no verdict here', null],
    ['[[A<B]] is not one of the five labels', null],
    ['', null],
  ])('%s → %s', (text, verdict) => expect(parseVerdict(text)).toBe(verdict));
});

describe('Arena-Hard battle scores, position swap and ties', () => {
  it('a judge that always says "A is better" scores 50% once both orders are played', () => {
    // game 1: baseline as A → the model loses; game 2: model as A → it wins.
    const prompts = Array.from({ length: 10 }, () => promptBattles('a', 'a')!);
    expect(winRateOf(prompts)).toBe(0.5);
    // Without the swap the same judge hands the model every game.
    expect(winRateOf(Array.from({ length: 10 }, () => promptBattles(undefined, 'a')!))).toBe(1);
  });

  it('ties count half; strong verdicts count three battles; a missing verdict drops the prompt', () => {
    expect(promptBattles('tie', 'tie')).toEqual([0.5, 0.5]);
    expect(promptBattles('b', 'a')).toEqual([1, 1]); // baseline loses as A, model wins as A
    expect(promptBattles('b>>a', 'tie')).toEqual([1, 1, 1, 0.5]);
    expect(promptBattles('a>>b', 'b>>a', 1)).toEqual([0, 0]);
    expect(promptBattles(null, 'a')).toBeNull();
    expect(promptBattles('a', null)).toBeNull();
    // Hand-computed: prompt 1 = [1,1,1, 1] (B>>A then A>B), prompt 2 = [0.5, 0] (tie, then B>A): 4.5 / 6.
    expect(winRateOf([promptBattles('b>>a', 'a')!, promptBattles('tie', 'b')!])).toBeCloseTo(4.5 / 6, 12);
  });

  it('the bootstrap interval is seeded, contains the rate, and collapses when every prompt agrees', () => {
    const prompts = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? [0, 0] : [1, 0.5]));
    const a = bootstrapInterval(prompts, { seed: 3 });
    expect(bootstrapInterval(prompts, { seed: 3 })).toEqual(a);
    const rate = winRateOf(prompts);
    expect(a[0]).toBeLessThan(rate);
    expect(a[1]).toBeGreaterThan(rate);
    // Binomial-scale width: per-prompt means are 0 or 0.75 (p = 0.75), sd of the mean ≈ 0.75·√(p(1−p)/40) ≈ 0.051.
    expect(a[1] - a[0]).toBeGreaterThan(2 * 1.96 * 0.051 * 0.7);
    expect(a[1] - a[0]).toBeLessThan(2 * 1.96 * 0.051 * 1.3);
    expect(bootstrapInterval(Array.from({ length: 9 }, () => [1]))).toEqual([1, 1]);
  });
});

describe('evaluation prompts', () => {
  it('read the m-ArenaHard layout: one folder or one file per language, limited and filtered', async () => {
    const engine = await createTestEngine({ plugins: [dataPlugin] });
    const dir = mkdtempSync(join(tmpdir(), 'aya-arena-'));
    // Parquet needs hyparquet's ESM build, which jest cannot load: the CLI test reads the same layout from Parquet.
    for (const lang of ['de', 'fr']) {
      mkdirSync(join(dir, lang));
      const rows = ['one', 'two', 'three'].map((w, i) => ({ question_id: `q${i + 1}`, category: 'arena-hard-v0.1', cluster: i === 1 ? 'c2' : 'c1', prompt: `${lang} ${w}` }));
      writeFileSync(join(dir, lang, 'test-00000-of-00001.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
    writeFileSync(join(dir, 'es.jsonl'), '{"question_id":"q1","prompt":"es one"}\n');
    const all = await readEvalPrompts(engine, dir);
    expect(all.map((r) => `${r.language}:${r.prompt}`)).toEqual(['de:de one', 'de:de two', 'de:de three', 'es:es one', 'fr:fr one', 'fr:fr two', 'fr:fr three']);
    expect(all[1]).toMatchObject({ question_id: 'q2', cluster: 'c2', category: 'arena-hard-v0.1' });
    const some = await readEvalPrompts(engine, dir, { languages: ['fr', 'es'], perLanguage: 2 });
    expect(some.map((r) => r.prompt)).toEqual(['es one', 'fr one', 'fr two']);
    await expect(readEvalPrompts(engine, dir, { languages: ['zz'] })).rejects.toThrow(/no prompts in zz/);
    await expect(readEvalPrompts(engine, mkdtempSync(join(tmpdir(), 'aya-empty-')))).rejects.toThrow(/no prompt files/);
  });
});

describe('win-rate options', () => {
  it('take one baseline for all models, or a { model, baseline } pair per model, and refuse a model with neither', () => {
    expect(WinRateConfigSchema.safeParse({ models: { a: 'x' }, baseline: 'b', prompts: 'p', judge: 'j' }).success).toBe(true);
    expect(WinRateConfigSchema.safeParse({ models: { a: { model: 'x', baseline: 'y' }, b: { model: 'y', baseline: 'z' } }, prompts: 'p', judge: 'j' }).success).toBe(true);
    const r = WinRateConfigSchema.safeParse({ models: { a: { model: 'x', baseline: 'y' }, b: 'y' }, prompts: 'p', judge: 'j' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['baseline'], message: 'give a baseline, or a { model, baseline } for every model' });
  });
});
