import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint, initModel, parseModelConfig, runMerge, savePretrained, toFloat32Into, Tokenizer } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import mergePlugin from '@aya-fw/plugin-merge';

/**
 * mergekit's tests/test_tokenizer.py on the same three tokenizers: a base of 64 tokens
 * (`<unk> <s> </s>` as added specials, then `_tok_3…`), a padded one with four `<UNUSED_i>`
 * added tokens past its 64 embeddings, and a ChatML one with `<|im_start|>` and `<|im_end|>`
 * at 64 and 65 (66 embeddings). Embedding rows are checked against the inputs' rows by token.
 */
function tokenizerJson(added: string[]) {
  const tokens = ['<unk>', '<s>', '</s>', ...Array.from({ length: 61 }, (_, i) => `_tok_${i + 3}`)];
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    added_tokens: [...tokens.slice(0, 3).map(special), ...added.map((t, i) => ({ ...special(t, 64 + i), normalized: true, special: false }))],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: { type: 'BPE', vocab: Object.fromEntries(tokens.map((t, i) => [t, i])), merges: [] },
  };
}

function model(dir: string, vocab: number, added: string[], seed: number): string {
  const config = { model_type: 'llama', vocab_size: vocab, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2, max_position_embeddings: 16 };
  const m = initModel(parseModelConfig(config), { seed, std: 0.5 });
  savePretrained(m, dir, { dtype: 'float32' });
  m.dispose();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(added)));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' }));
  return dir;
}

function embeddings(dir: string): { rows: number; row: (token: string) => number[] | undefined; at: (id: number) => number[] } {
  const c = Checkpoint.open(dir);
  const info = c.info('model.embed_tokens.weight');
  const values = new Float32Array(info.shape[0] * info.shape[1]);
  toFloat32Into(info.dtype, c.readBytes('model.embed_tokens.weight'), values, 'embed');
  c.close();
  const tok = Tokenizer.fromPretrained(dir);
  const d = info.shape[1];
  const at = (id: number) => Array.from(values.subarray(id * d, (id + 1) * d));
  return { rows: info.shape[0], at, row: (t) => (tok.tokenToId(t) === undefined ? undefined : at(tok.tokenToId(t)!)) };
}

const close = (a: number[] | undefined, b: number[] | undefined) => {
  expect(a).toBeDefined();
  a!.forEach((v, i) => expect(v).toBeCloseTo(b![i], 5));
};

describe("tokenizer merges (mergekit's tokenizer_source and tokenizer: section)", () => {
  let dir: string;
  const merge = async (extra: string, models = ['base', 'padded', 'chatml'], method = 'linear', base = 'base') => {
    const engine = await createTestEngine({ plugins: [mergePlugin] });
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const file = `${out}.yml`;
    const weights = method === 'linear' ? ', parameters: { weight: 1 }' : '';
    writeFileSync(file, `merge_method: ${method}\nbase_model: ${base}\nmodels:\n${models.map((m) => `  - { model: ${m}${weights} }`).join('\n')}\ndtype: float32\n${extra}`);
    await runMerge(engine, file, { outDir: out });
    const tok = Tokenizer.fromPretrained(out);
    const vocabSize = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).vocab_size;
    return { out, tok, vocabSize, emb: embeddings(out) };
  };
  beforeAll(async () => {
    await createTestEngine();
    dir = mkdtempSync(join(tmpdir(), 'aya-tokmerge-'));
    model(join(dir, 'base'), 64, [], 1);
    model(join(dir, 'padded'), 64, ['<UNUSED_0>', '<UNUSED_1>', '<UNUSED_2>', '<UNUSED_3>'], 2);
    model(join(dir, 'chatml'), 66, ['<|im_start|>', '<|im_end|>'], 3);
  });

  it('test_legacy_mode and test_source_base: the base tokenizer (64 tokens), embeddings on the common 64 rows', async () => {
    for (const extra of ['', 'tokenizer_source: base\n']) {
      const r = await merge(extra);
      expect(r.tok.vocabSize).toBe(64);
      expect(r.emb.rows).toBe(64);
      expect(r.vocabSize).toBe(64);
      const [a, b, c] = ['base', 'padded', 'chatml'].map((m) => embeddings(join(dir, m)));
      close(r.emb.row('_tok_7'), a.row('_tok_7')!.map((v, i) => (v + b.row('_tok_7')![i] + c.row('_tok_7')![i]) / 3));
    }
  });

  it('test_source_union: every used token of any model (66, 5 added), none of the unused ones; new tokens from their only donor', async () => {
    const r = await merge('tokenizer_source: union\n');
    expect(r.tok.vocabSize).toBe(66);
    expect(r.emb.rows).toBe(66);
    expect(r.vocabSize).toBe(66);
    const added = (JSON.parse(readFileSync(join(r.out, 'tokenizer.json'), 'utf8')).added_tokens as { content: string }[]).map((e) => e.content);
    expect(added).toEqual(['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>']);
    expect(r.tok.tokenToId('<|im_start|>')).toBe(64);
    for (let i = 0; i < 4; i++) expect(r.tok.tokenToId(`<UNUSED_${i}>`)).toBeUndefined();
    const chatml = embeddings(join(dir, 'chatml'));
    close(r.emb.row('<|im_start|>'), chatml.row('<|im_start|>'));
    close(r.emb.row('<|im_end|>'), chatml.row('<|im_end|>'));
    expect(r.tok.encode('<|im_start|>')).toEqual([64]);
  });

  it('test_source_model and test_slerp_union: a model’s tokenizer; slerp over a union', async () => {
    const r = await merge('tokenizer_source: chatml\n');
    expect(r.tok.vocabSize).toBe(66);
    expect(r.tok.tokenToId('<|im_end|>')).toBe(65);
    const s = await merge('tokenizer_source: union\nparameters: { t: 0.5 }\n', ['base', 'chatml'], 'slerp');
    expect(s.tok.vocabSize).toBe(66);
    expect(s.emb.rows).toBe(66);
  });

  it('test_force_token and test_model_token_id: named tokens take a chosen model’s row, a model’s token id or token', async () => {
    const [base, chatml] = ['base', 'chatml'].map((m) => embeddings(join(dir, m)));
    const forced = await merge('tokenizer:\n  source: union\n  tokens:\n    _tok_10: { source: chatml, force: true }\n    _tok_11: { source: base, force: true }\n', ['base', 'chatml']);
    close(forced.emb.row('_tok_10'), chatml.row('_tok_10'));
    close(forced.emb.row('_tok_11'), base.row('_tok_11'));
    const byId = await merge(
      'tokenizer:\n  source: base\n  tokens:\n    _tok_20: { source: { kind: model_token, model: chatml, token_id: 64 }, force: true }\n    _tok_21: { source: { kind: model_token, model: base, token: "<s>" }, force: true }\n',
      ['base', 'chatml'],
    );
    expect(byId.tok.vocabSize).toBe(64);
    close(byId.emb.row('_tok_20'), chatml.at(64));
    close(byId.emb.row('_tok_21'), base.row('<s>'));
  });

  it('test_pad_to_multiple_of: rows padded to 80 with the mean embedding, vocab_size 80, the tokenizer keeps 66', async () => {
    const r = await merge('tokenizer:\n  source: base\n  pad_to_multiple_of: 16\n', ['chatml'], 'linear', 'chatml');
    expect(r.vocabSize).toBe(80);
    expect(r.emb.rows).toBe(80);
    expect(r.tok.vocabSize).toBe(66);
    const mean = Array.from({ length: 8 }, (_, k) => Array.from({ length: 66 }, (_, i) => r.emb.at(i)[k]).reduce((a, b) => a + b, 0) / 66);
    close(r.emb.at(79), mean);
  });
});
