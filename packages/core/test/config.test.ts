import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadRecipe } from '@aya-fw/core';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aya-config-')), name);
  writeFileSync(path, text);
  return path;
}

describe('recipe validation', () => {
  it('fills in defaults and names stages after their trainer', () => {
    const { recipe } = loadRecipe(file('r.yaml', 'name: toy\nstages:\n  - trainer: sft\n  - { trainer: dpo, with: { beta: 0.1 } }\n'));
    expect(recipe).toEqual({
      name: 'toy',
      plugins: [],
      backend: 'auto',
      seed: 0,
      stages: [
        { name: 'sft', trainer: 'sft', with: {} },
        { name: 'dpo', trainer: 'dpo', with: { beta: 0.1 } },
      ],
    });
  });

  it.each([
    ['a wrong type', 'name: toy\nseed: -1\nstages: [{ trainer: sft }]\n', ':2: seed: Too small: expected number to be >=0'],
    ['a missing field', 'name: toy\nstages:\n  - with: {}\n', ':3: stages[0].trainer: Invalid input: expected string, received undefined'],
    ['an unknown field', 'name: toy\nstages: [{ trainer: sft }]\nstagez: []\n', ":3: stagez: unknown field (did you mean 'stages'?)"],
    ['an unknown stage field', 'name: toy\nstages:\n  - trainer: sft\n    width: {}\n', ":4: stages[0].width: unknown field (did you mean 'with'?)"],
    ['a bad enum', 'name: toy\nbackend: gpu\nstages: [{ trainer: sft }]\n', ':2: backend: Invalid option: expected one of "auto"|"tensorflow-gpu"|"tensorflow"|"wasm"|"cpu"'],
    ['an empty stage list', 'name: toy\nstages: []\n', ':2: stages: Too small: expected array to have >=1 items'],
    ['a non-kebab name', 'name: My Toy\nstages: [{ trainer: sft }]\n', ':1: name: expected a kebab-case name'],
    ['a repeated stage name', 'name: toy\nstages:\n  - trainer: sft\n  - trainer: sft\n', ':4: stages[1].name: stage name \'sft\' is used twice'],
    ['broken YAML', 'name: toy\nstages: [\n', ':3: '],
    ['a duplicate key', 'name: toy\nname: again\nstages: [{ trainer: sft }]\n', ':2: Map keys must be unique'],
  ])('rejects %s with the file, line and field path', (_what, text, expected) => {
    const path = file('recipe.yaml', text);
    expect(() => loadRecipe(path)).toThrow(ConfigError);
    expect(() => loadRecipe(path)).toThrow(`${path}${expected}`);
  });

  it('suggests a field only when one is close: trainer options by their TRL spelling too', () => {
    const far = file('far.yaml', 'name: toy\nstages: [{ trainer: sft }]\nzzzzzzzzzz: 1\n');
    expect(() => loadRecipe(far)).toThrow(new RegExp(`${far.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: zzzzzzzzzz: unknown field$`));
  });

  it('reads JSON recipes with line numbers too', () => {
    const path = file('recipe.json', '{\n  "name": "toy",\n  "stages": [\n    { "trainer": 3 }\n  ]\n}\n');
    expect(() => loadRecipe(path)).toThrow(`${path}:4: stages[0].trainer: Invalid input: expected string, received number`);
  });

  it('names a file it cannot read', () => {
    expect(() => loadRecipe('/nonexistent/recipe.yaml')).toThrow('/nonexistent/recipe.yaml: cannot read: ENOENT: no such file or directory');
  });
});
