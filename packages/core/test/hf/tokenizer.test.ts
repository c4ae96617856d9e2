import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@aya-fw/core';
import { FIXTURES, modelDir } from './fixtures';

interface EncodeCase {
  text: string;
  ids: number[];
  ids_with_special: number[];
  tokens: string[];
  decoded: string;
  decoded_with_special_skipped: string;
}
interface ChatCase {
  messages: { role: string; content: string }[];
  add_generation_prompt: boolean;
  text: string;
  ids: number[];
}
const cases: Record<string, { encode: EncodeCase[]; chat: ChatCase[] }> = JSON.parse(readFileSync(join(FIXTURES, 'tokenizers', 'cases.json'), 'utf8'));

describe.each(Object.keys(cases))('%s tokenizer reproduces transformers', (name) => {
  const tok = Tokenizer.fromPretrained(join(FIXTURES, 'tokenizers', name));

  it.each(cases[name].encode.map((c) => [JSON.stringify(c.text).slice(0, 40), c] as const))('encodes and decodes %s', (_label, c) => {
    expect(tok.encode(c.text, { addSpecialTokens: false })).toEqual(c.ids);
    expect(tok.encode(c.text)).toEqual(c.ids_with_special);
    expect(tok.tokenize(c.text)).toEqual(c.tokens);
    expect(tok.decode(c.ids)).toBe(c.decoded);
    expect(tok.decode(c.ids_with_special, { skipSpecialTokens: true })).toBe(c.decoded_with_special_skipped);
  });

  it.each(cases[name].chat.map((c, i) => [i, c] as const))('renders chat case %i and tokenizes it without a second BOS', (_i, c) => {
    const text = tok.applyChatTemplate(c.messages, { addGenerationPrompt: c.add_generation_prompt });
    expect(text).toBe(c.text);
    const ids = tok.applyChatTemplate(c.messages, { addGenerationPrompt: c.add_generation_prompt, tokenize: true });
    expect(ids).toEqual(c.ids);
    expect(ids.filter((id) => id === tok.bosTokenId).length).toBeLessThanOrEqual(1);
  });
});

describe('batch encoding', () => {
  const tok = Tokenizer.fromPretrained(modelDir('llama'));
  it('pads right by default and left on request, with masks', () => {
    const a = tok.encode('Hello world');
    const b = tok.encode('Hi');
    const right = tok.encodeBatch(['Hello world', 'Hi']);
    const pad = tok.padTokenId!;
    expect(pad).toBe(5);
    expect(right.inputIds).toEqual([a, [...b, ...Array(a.length - b.length).fill(pad)]]);
    expect(right.attentionMask[1]).toEqual([...b.map(() => 1), ...Array(a.length - b.length).fill(0)]);
    const left = tok.encodeBatch(['Hello world', 'Hi'], { paddingSide: 'left' });
    expect(left.inputIds[1]).toEqual([...Array(a.length - b.length).fill(pad), ...b]);
    expect(left.attentionMask[1]).toEqual([...Array(a.length - b.length).fill(0), ...b.map(() => 1)]);
  });

  it('truncates from either side and pads to a fixed length', () => {
    const a = tok.encode('Hello world');
    expect(tok.encodeBatch(['Hello world'], { maxLength: 3 }).inputIds[0]).toEqual(a.slice(0, 3));
    expect(tok.encodeBatch(['Hello world'], { maxLength: 3, truncationSide: 'left' }).inputIds[0]).toEqual(a.slice(-3));
    expect(tok.encodeBatch(['Hi'], { maxLength: 8, padding: 'max-length' }).inputIds[0]).toHaveLength(8);
  });

  it('decodes an empty list to an empty string', () => {
    expect(tok.decode([])).toBe('');
  });
});
