import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoint } from '@aya-fw/core';
import { ROOT, aya, json, userProject } from './cli';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'hf');
const LLAMA = join(FIXTURES, 'models', 'llama');
const GPT2 = join(FIXTURES, 'models', 'gpt2');
const LORA = join(FIXTURES, 'adapters', 'llama-lora');

function bytesOf(dir: string): Map<string, string> {
  const c = Checkpoint.open(dir);
  try {
    return new Map(c.names().map((n) => [n, Buffer.from(c.readBytes(n)).toString('base64')]));
  } finally {
    c.close();
  }
}

describe('aya-fw merge with mergekit configs, through the CLI', () => {
  it('stacks GPT-2 layers with slices: (a frankenmerge) into a model that loads and generates', () => {
    const dir = userProject();
    writeFileSync(join(dir, 'stack.yml'), `slices:\n  - sources: [{ model: ${GPT2}, layer_range: [0, 2] }]\n  - sources: [{ model: ${GPT2}, layer_range: [1, 2] }]\nmerge_method: passthrough\ndtype: float32\n`);
    const r = aya(['merge', 'stack.yml', '--out', 'stacked', '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'stacked', 'config.json'), 'utf8')).n_layer).toBe(3);
    const out = bytesOf(join(dir, 'stacked'));
    const src = bytesOf(GPT2);
    expect(out.get('transformer.h.2.attn.c_attn.weight')).toBe(src.get('transformer.h.1.attn.c_attn.weight'));
    const gen = aya(['generate', '--model', join(dir, 'stacked'), '--prompt', 'Hello', '-n', '3', '--json'], dir);
    expect(gen.status).toBe(0);
    expect(json(gen).tokens).toHaveLength(3);
  });

  it('refuses what mergekit refuses in one line with exit 2 (DELLA epsilon), and ignores a slerp weight with a warning', () => {
    const dir = userProject();
    writeFileSync(join(dir, 'della.yml'), `merge_method: della\nbase_model: ${LLAMA}\nmodels:\n  - { model: ${GPT2}, parameters: { weight: 1 } }\nparameters: { density: 0.66, epsilon: 1.35 }\n`);
    const arch = aya(['merge', 'della.yml', '--out', 'never'], dir);
    expect(arch.status).toBe(2);
    expect(arch.stderr).toMatch(/^aya-fw: error: .*della\.yml: models\[0\] .*: architecture gpt2 \["GPT2LMHeadModel"\] differs from base_model .*\n$/);
    writeFileSync(join(dir, 'della.yml'), `merge_method: della\nbase_model: ${LLAMA}\nmodels:\n  - { model: ${LLAMA}+${LORA}, parameters: { weight: 1 } }\nparameters: { density: 0.66, epsilon: 1.35 }\n`);
    const bad = aya(['merge', 'della.yml', '--out', 'never'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^aya-fw: error: .*della\.yml: merge method 'della', tensor model\.embed_tokens\.weight: epsilon 1\.35 must keep density ± epsilon inside \(0, 1\) \(density 0\.66\)\n$/);
    expect(existsSync(join(dir, 'never'))).toBe(false);

    writeFileSync(join(dir, 'slerp.yml'), `merge_method: slerp\nbase_model: ${LLAMA}\nmodels:\n  - { model: ${LLAMA}, parameters: { weight: 0.5 } }\n  - { model: ${LLAMA}+${LORA}, parameters: { weight: 0.5 } }\nparameters: { t: 0.5 }\n`);
    const slerp = aya(['merge', 'slerp.yml', '--out', 'slerped'], dir);
    expect(slerp.status).toBe(0);
    expect(slerp.stderr).toContain(`models[0] (${LLAMA}).parameters.weight: merge method 'slerp' takes no such parameter; ignored (as mergekit does)`);
  });

  it("a merge whose base has no tokenizer takes another input's (with a warning); with none at all it is refused unless --no-tokenizer", () => {
    const dir = userProject();
    // Two copies of the llama fixture: `bare` without any tokenizer file, `full` as it is.
    cpSync(LLAMA, join(dir, 'full'), { recursive: true });
    cpSync(LLAMA, join(dir, 'bare'), { recursive: true });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) rmSync(join(dir, 'bare', f), { force: true });
    writeFileSync(join(dir, 'donor.yml'), 'merge_method: linear\nbase_model: bare\nmodels:\n  - { model: bare, parameters: { weight: 0.5 } }\n  - { model: full, parameters: { weight: 0.5 } }\n');
    const donor = aya(['merge', 'donor.yml', '--out', 'donated'], dir);
    expect(donor.status).toBe(0);
    expect(donor.stderr).toMatch(/donor\.yml: .*bare has no tokenizer\.json; the merged model gets models\[1\] .*'s \(.*full\)\n/);
    expect(readFileSync(join(dir, 'donated', 'tokenizer.json'), 'utf8')).toBe(readFileSync(join(LLAMA, 'tokenizer.json'), 'utf8'));
    expect(aya(['generate', '--model', join(dir, 'donated'), '--prompt', 'Hello', '-n', '2', '--json'], dir).status).toBe(0);

    writeFileSync(join(dir, 'none.yml'), 'merge_method: linear\nmodels:\n  - { model: bare, parameters: { weight: 1 } }\n');
    const none = aya(['merge', 'none.yml', '--out', 'never'], dir);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^aya-fw: error: .*none\.yml: no input model has a tokenizer\.json, so the merged folder could not generate or train; copy the base model's tokenizer files into .*bare, or pass --no-tokenizer for a weights-only merge\n$/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
    const weights = aya(['merge', 'none.yml', '--out', 'weights', '--no-tokenizer'], dir);
    expect(weights.status).toBe(0);
    expect(readdirSync(join(dir, 'weights'))).not.toContain('tokenizer.json');
  });

  it('a model+lora reference equals aya-fw adapter merge (PEFT merge_and_unload) of the same folders', () => {
    const dir = userProject();
    writeFileSync(join(dir, 'lora.yml'), `merge_method: passthrough\nmodels:\n  - model: ${LLAMA}+${LORA}\ndtype: float32\n`);
    const merged = aya(['merge', 'lora.yml', '--out', 'via-merge'], dir);
    expect(merged.status).toBe(0);
    const folded = aya(['adapter', 'merge', '--model', LLAMA, '--adapter', LORA, '--out', 'via-adapter', '--dtype', 'float32'], dir);
    expect(folded.status).toBe(0);
    const a = bytesOf(join(dir, 'via-merge'));
    const b = bytesOf(join(dir, 'via-adapter'));
    const decode = (s: string) => new Float32Array(Uint8Array.from(Buffer.from(s, 'base64')).buffer);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, v] of a) {
      const x = decode(v);
      const y = decode(b.get(name)!);
      let worst = 0;
      x.forEach((u, i) => (worst = Math.max(worst, Math.abs(u - y[i]))));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('bench merge --method takes any method and prints the plain-copy time of the same I/O', () => {
    const r = aya(['bench', 'merge', '--size-gb', '0.05', '--models', '2', '--method', 'ram', '--json']);
    expect(r.status).toBe(0);
    const b = json(r).benchMerge;
    expect(b.method).toBe('ram');
    expect(b.copySeconds).toBeGreaterThan(0);
    expect(b.mergeSeconds).toBeGreaterThan(0);
  });
});
