import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPretrained, parameterValues, selectBackend } from '@aya-fw/core';
import { aya, userProject } from './cli';
import { arithmetic, tinyModel, writeJsonl } from './helpers/tiny-model';

/** A recipe that trains two language-cluster SFT runs and merges them with a `merge` stage. */
const RECIPE = `name: clusters
seed: 3
stages:
  - name: cluster-a
    trainer: sft
    with: &sft
      model: model
      data: [data-1.jsonl, data-2.jsonl]
      languages: [en, fr]
      maxSteps: 4
      batchSize: 8
      evalSplit: 0
      optimizerConfig: { learningRate: 0.003 }
  - name: cluster-b
    trainer: sft
    with:
      <<: *sft
      languages: [en, es]
  - name: merged
    trainer: merge
    with:
      models:
        - { model: stage:cluster-a, parameters: { weight: 1 } }
        - { model: stage:cluster-b, parameters: { weight: 3 } }
`;

describe('merging at every stage: language-cluster runs and a merge stage in one recipe', () => {
  it('trains each cluster on its languages (from a list of data files) and merges the two with weighted linear', async () => {
    const dir = userProject();
    await tinyModel(dir);
    const rows = arithmetic(60);
    writeJsonl(join(dir, 'data-1.jsonl'), rows.slice(0, 30));
    writeJsonl(join(dir, 'data-2.jsonl'), rows.slice(30));
    writeFileSync(join(dir, 'recipe.yaml'), RECIPE);
    const r = aya(['run', 'recipe.yaml', '--out', 'runs'], dir);
    expect(r.status).toBe(0);
    // 30 rows per file, 10 per language: each cluster trains on 20 of each file's.
    const said = r.stdout + r.stderr;
    expect(said).toMatch(/cluster-a: 20 of 30 rows of \S+data-1\.jsonl are in en, fr/);
    expect(said).toMatch(/cluster-b: 20 of 30 rows of \S+data-2\.jsonl are in en, es/);
    expect(said).toContain('merged: merged 2 models with linear');
    await selectBackend('cpu');
    const [a, b, merged] = ['cluster-a', 'cluster-b', 'merged'].map((s) => parameterValues(loadPretrained(join(dir, 'runs', s, 'model'))));
    const name = 'model.layers.1.mlp.down_proj.weight';
    expect(a.get(name)).not.toEqual(b.get(name));
    merged.get(name)!.forEach((x, i) => expect(x).toBeCloseTo((a.get(name)![i] + 3 * b.get(name)![i]) / 4, 5));
    for (const [n, v] of merged) v.forEach((x, i) => expect(x).toBeCloseTo((a.get(n)![i] + 3 * b.get(n)![i]) / 4, 5));
  });

  it('refuses an unknown merge method before anything trains, and a language no row has, each in one line', async () => {
    const dir = userProject();
    await tinyModel(dir);
    writeJsonl(join(dir, 'data-1.jsonl'), arithmetic(30));
    writeJsonl(join(dir, 'data-2.jsonl'), arithmetic(30));
    writeFileSync(join(dir, 'bad-method.yaml'), RECIPE.replace('trainer: merge\n    with:\n', 'trainer: merge\n    with:\n      merge_method: blend\n'));
    const m = aya(['run', 'bad-method.yaml', '--out', 'runs'], dir);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/bad-method\.yaml:\d+.*merge_method.*blend/);
    expect(m.stderr.trim().split('\n')).toHaveLength(1);
    writeFileSync(join(dir, 'bad-language.yaml'), RECIPE.replace('languages: [en, fr]', 'languages: [xx]'));
    const l = aya(['run', 'bad-language.yaml', '--out', 'runs2'], dir);
    expect(l.status).toBe(2);
    expect(l.stderr).toContain("cluster-a: ");
    expect(l.stderr).toContain("has no rows whose 'language' is one of xx");
    expect(l.stderr).not.toMatch(/\n\s+at /);
  });
});
