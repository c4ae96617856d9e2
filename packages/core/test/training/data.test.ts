import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionSequence, crc32c, DataError, loadExamples, toExample, Tokenizer, tokenizeLanguageModeling, tokenizePromptCompletion, truncate } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import data from '@aya-fw/plugin-data';
import { modelDir } from '../hf/fixtures';

const file = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'aya-data-')), name);
  writeFileSync(path, text);
  return path;
};

describe('TRL dataset formats', () => {
  const user = [{ role: 'user', content: 'Hi' }];
  const bot = (c: string) => [{ role: 'assistant', content: c }];
  it.each([
    [{ text: 'The sky is blue.' }, { kind: 'language-modeling', text: 'The sky is blue.' }],
    [{ messages: [...user, ...bot('Hello')] }, { kind: 'language-modeling', text: [...user, ...bot('Hello')] }],
    [{ prompt: 'The sky is', completion: ' blue.' }, { kind: 'prompt-completion', prompt: 'The sky is', completion: ' blue.' }],
    [{ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }, { kind: 'preference', prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }],
    [{ chosen: 'The sky is blue.', rejected: 'The sky is green.' }, { kind: 'preference', prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }],
    [{ chosen: [...user, ...bot('A')], rejected: [...user, ...bot('B')] }, { kind: 'preference', prompt: user, chosen: bot('A'), rejected: bot('B') }],
    [{ prompt: user, completion: bot('x'), label: false }, { kind: 'unpaired-preference', prompt: user, completion: bot('x'), label: false }],
    [{ prompt: 'Say hi' }, { kind: 'prompt-only', prompt: 'Say hi' }],
  ])('recognises %j', (row, expected) => {
    expect(toExample(row, 'f:1')).toEqual(expected);
  });

  it.each([
    [{ prompt: 'x', chosen: 3, rejected: 'y' }, "f:7: field 'chosen': expected a string or a list of {role, content} messages, got 3"],
    [{ prompt: 'x', completion: 'y', label: 'yes' }, "f:7: field 'label': expected true or false, got \"yes\""],
    [{ messages: [{ role: 'user' }] }, "f:7: field 'messages': expected a string or a list of {role, content} messages"],
    [{ question: 'x' }, 'f:7: no known TRL columns (text, messages, prompt, completion, chosen, rejected, label); found question'],
  ])('names the row and field of %j', (row, message) => {
    expect(() => toExample(row, 'f:7')).toThrow(DataError);
    expect(() => toExample(row, 'f:7')).toThrow(message);
  });

  it('reads JSONL and JSON, reports a bad row by file:line, or counts it with skipBadRows', async () => {
    const engine = await createTestEngine({ plugins: [data] });
    const jsonl = file('d.jsonl', '{"text": "a", "language": "en"}\n\n{"text": "b"\n{"text": 5}\n{"text": "c"}\n');
    await expect(loadExamples(engine, { file: jsonl })).rejects.toThrow(`${jsonl}:3: invalid JSON`);
    const { examples, skipped } = await loadExamples(engine, { file: jsonl, skipBadRows: true });
    expect(examples.map((e) => [e.where, e.row.language])).toEqual([[`${jsonl}:1`, 'en'], [`${jsonl}:5`, undefined]]);
    expect(skipped.map((s) => s.where)).toEqual([`${jsonl}:3`, `${jsonl}:4`]);
    expect(skipped[1].message).toBe(`${jsonl}:4: field 'text': expected a string or a list of {role, content} messages, got 5`);
    const json = file('d.json', JSON.stringify({ prompt: ['a', 'b'], completion: ['x', 'y'] }));
    expect((await loadExamples(engine, { file: json })).examples.map((e) => e.where)).toEqual([`${json}#0`, `${json}#1`]);
    await expect(loadExamples(engine, { file: json, kinds: ['preference'] })).rejects.toThrow(`${json}#0: a prompt-completion row, but this trainer takes preference rows`);
  });
});

describe('tokenization for training', () => {
  const tok = Tokenizer.fromPretrained(modelDir('llama'));
  it('text: BOS on the prompt, EOS after the completion, loss on the completion only', () => {
    const ids = tokenizePromptCompletion(tok, 'Hello', ' world', 'f:1');
    expect(ids.promptIds).toEqual(tok.encode('Hello'));
    expect(ids.completionIds).toEqual([...tok.encode(' world', { addSpecialTokens: false }), tok.eosTokenId]);
    const seq = completionSequence(ids);
    expect(seq.lossMask).toEqual([...ids.promptIds.map(() => 0), ...ids.completionIds.map(() => 1)]);
  });

  it('conversations: the completion is what the full chat adds after the generation prompt', () => {
    const ids = tokenizePromptCompletion(tok, [{ role: 'user', content: 'Hi' }], [{ role: 'assistant', content: 'Hello' }], 'f:1');
    const full = tok.applyChatTemplate([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }], { tokenize: true });
    expect([...ids.promptIds, ...ids.completionIds]).toEqual(full);
    expect(ids.promptIds).toEqual(tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true, tokenize: true }));
  });

  it('messages: loss on assistant turns only', () => {
    const msgs = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye' }];
    const seq = tokenizeLanguageModeling(tok, msgs, 'f:1');
    const start = tok.applyChatTemplate(msgs.slice(0, 1), { addGenerationPrompt: true, tokenize: true }).length;
    const end = tok.applyChatTemplate(msgs.slice(0, 2), { tokenize: true }).length;
    expect(seq.lossMask.map((m, i) => (m ? i : -1)).filter((i) => i >= 0)).toEqual(Array.from({ length: end - start }, (_, k) => start + k));
    expect(() => tokenizeLanguageModeling(tok, msgs.slice(0, 1), 'f:9')).toThrow("f:9: field 'messages': no assistant message to learn from");
  });

  it('truncation keeps the end of the prompt and the start of the completion', () => {
    expect(truncate([1, 2, 3, 4], [5, 6, 7], { maxPromptLength: 3, maxLength: 5 })).toEqual({ promptIds: [2, 3, 4], completionIds: [5, 6] });
    expect(truncate([1, 2, 3, 4], [5, 6], { maxLength: 3 })).toEqual({ promptIds: [3, 4], completionIds: [5] });
  });
});

describe('TensorBoard records', () => {
  it('use CRC-32C', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});
