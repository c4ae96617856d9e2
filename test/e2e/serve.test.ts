import { generate, loadPretrained, stopTokenIds, Tokenizer } from '@aya-fw/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startServe, type ServeProcess } from './cli';
import { tinyModel } from './helpers/tiny-model';

/**
 * `aya-fw serve` as users drive it: a real server process on a loopback port, the official
 * `openai` npm client, and raw fetch for what the client hides (body limits, health).
 */
describe('aya-fw serve (OpenAI-compatible)', () => {
  let dir: string;
  let server: ServeProcess;
  let client: OpenAI;
  let reference: (prompt: number[], maxNewTokens: number) => string;
  let tokenizer: Tokenizer;

  beforeAll(async () => {
    dir = await tinyModel(mkdtempSync(join(tmpdir(), 'aya-serve-')));
    server = await startServe(['--model', dir, '--name', 'tiny', '--api-key', 'sk-test']);
    client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test', maxRetries: 0 });
    tokenizer = Tokenizer.fromPretrained(dir);
    const model = loadPretrained(dir, { trainable: false });
    const eos = stopTokenIds(model, tokenizer);
    // The reference: the library's fixed-batch generate, one prompt at a time.
    reference = (prompt, maxNewTokens) => tokenizer.decode(generate(model, [prompt], { maxNewTokens, eosTokenIds: eos }).tokens[0], { skipSpecialTokens: true });
  });
  afterAll(async () => {
    const code = await server.stop();
    if (code !== 0) process.stderr.write(server.stderr());
    expect(code).toBe(0);
  });

  const chatPrompt = (content: string) => tokenizer.applyChatTemplate([{ role: 'user', content }], { addGenerationPrompt: true, tokenize: true });

  it('lists its model and answers /health without a key', async () => {
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
    const health = await fetch(server.url.replace(/\/v1$/, '/health'));
    expect(health.status).toBe(200);
    expect((await health.json()).status).toBe('ok');
  });

  it('chat: greedy output equals the library\'s generate on the chat-templated prompt; usage adds up', async () => {
    const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hello there' }], temperature: 0, max_tokens: 12 });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message.content).toBe(reference(chatPrompt('hello there'), 12));
    expect(r.usage!.prompt_tokens).toBe(chatPrompt('hello there').length);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect(['stop', 'length']).toContain(r.choices[0].finish_reason);
  });

  it('completions: greedy text equals generate; one log-prob per token, each ≤ 0', async () => {
    const r = await client.completions.create({ model: 'tiny', prompt: 'once upon a time', max_tokens: 10, temperature: 0, logprobs: 3 });
    expect(r.choices[0].text).toBe(reference(tokenizer.encode('once upon a time'), 10));
    const lp = r.choices[0].logprobs!;
    expect(lp.token_logprobs!.length).toBe(r.usage!.completion_tokens);
    expect(lp.tokens!.join('')).toBe(r.choices[0].text);
    for (const v of lp.token_logprobs!) expect(v).toBeLessThanOrEqual(0);
  });

  it('chat logprobs: greedy picks the most likely token, listed first among top_logprobs with the same value', async () => {
    const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'why' }], temperature: 0, max_tokens: 8, logprobs: true, top_logprobs: 3 });
    const content = r.choices[0].logprobs!.content!;
    expect(content.length).toBe(r.usage!.completion_tokens);
    for (const t of content) {
      expect(t.top_logprobs.length).toBe(3);
      expect(t.top_logprobs[0].logprob).toBeCloseTo(t.logprob, 9);
      expect(t.top_logprobs[1].logprob).toBeLessThanOrEqual(t.top_logprobs[0].logprob);
      expect(Buffer.from(t.bytes!).toString('utf8')).toBe(t.token);
    }
  });

  it('streams chat chunks whose deltas join to the non-streamed answer, with usage last and [DONE]', async () => {
    const body = { model: 'tiny', messages: [{ role: 'user' as const, content: 'stream me' }], temperature: 0, max_tokens: 16 };
    const whole = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(finish).toBe(whole.choices[0].finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('n > 1 with a seed: distinct samples, the same ones again for the same seed', async () => {
    const ask = (seed: number) => client.completions.create({ model: 'tiny', prompt: 'sample', max_tokens: 12, temperature: 1, n: 4, seed });
    const [a, b, c] = await Promise.all([ask(7), ask(7), ask(8)]);
    const texts = (r: OpenAI.Completion) => r.choices.sort((x, y) => x.index - y.index).map((x) => x.text);
    expect(a.choices.map((x) => x.index).sort()).toEqual([0, 1, 2, 3]);
    expect(texts(a)).toEqual(texts(b));
    expect(new Set(texts(a)).size).toBeGreaterThan(1);
    expect(texts(c)).not.toEqual(texts(a));
  });

  it('stop strings end the text before them, streamed or not', async () => {
    const full = (await client.completions.create({ model: 'tiny', prompt: 'stop here', max_tokens: 24, temperature: 0 })).choices[0].text;
    const stop = full.slice(6, 8);
    expect(stop.length).toBe(2);
    const expected = full.slice(0, full.indexOf(stop));
    const r = await client.completions.create({ model: 'tiny', prompt: 'stop here', max_tokens: 24, temperature: 0, stop: [stop] });
    expect(r.choices[0].text).toBe(expected);
    expect(r.choices[0].finish_reason).toBe('stop');
    let streamed = '';
    for await (const chunk of await client.completions.create({ model: 'tiny', prompt: 'stop here', max_tokens: 24, temperature: 0, stop, stream: true })) streamed += chunk.choices[0]?.text ?? '';
    expect(streamed).toBe(expected);
  });

  it('errors in OpenAI\'s shape: bad key 401, bad field 400 with the param, unknown model 404, a body over the limit 413', async () => {
    const bad = new OpenAI({ baseURL: server.url, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    await expect(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], temperature: 5 })).rejects.toMatchObject({ status: 400, param: 'temperature' });
    await expect(client.chat.completions.create({ model: 'tiny', messages: [] })).rejects.toMatchObject({ status: 400, param: 'messages' });
    await expect(client.completions.create({ model: 'tiny', prompt: 'x', max_tokens: 10_000 })).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
    await expect(client.completions.create({ model: 'gpt-4', prompt: 'x' })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const big = await fetch(`${server.url}/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x'.repeat(2 << 20) }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('body_too_large');
    const route = await fetch(`${server.url}/nothing`, { headers: { authorization: 'Bearer sk-test' } });
    expect(route.status).toBe(404);
    expect((await route.json()).error.message).toMatch(/no route/);
  });

  it('32 concurrent requests are batched: each answer equals its one-at-a-time answer, in less total time', async () => {
    const prompts = Array.from({ length: 32 }, (_, i) => `request number ${i} says`);
    const ask = (prompt: string) => client.completions.create({ model: 'tiny', prompt, max_tokens: 24, temperature: 0 }).then((r) => r.choices[0].text);
    let t = Date.now();
    const one: string[] = [];
    for (const p of prompts) one.push(await ask(p));
    const sequential = Date.now() - t;
    t = Date.now();
    const together = await Promise.all(prompts.map(ask));
    const concurrent = Date.now() - t;
    expect(together).toEqual(one);
    const health = await (await fetch(server.url.replace(/\/v1$/, '/health'))).json();
    expect(health.maxRowsInStep).toBeGreaterThan(8);
    process.stderr.write(`serve: 32 requests × 24 tokens: one at a time ${sequential} ms, concurrently ${concurrent} ms (${(sequential / concurrent).toFixed(1)}×)\n`);
    expect(concurrent).toBeLessThan(sequential);
  });

  it('a client that goes away mid-stream frees its row: decoding stops long before its 100 tokens', async () => {
    const health = async () => (await fetch(server.url.replace(/\/v1$/, '/health'))).json();
    const before = (await health()).steps;
    const controller = new AbortController();
    const stream = await client.completions.create({ model: 'tiny', prompt: 'long', max_tokens: 100, temperature: 1, stream: true }, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _ of stream) {
        chunks++;
        controller.abort();
      }
    } catch {
      // the client reports the abort as an error or just ends the stream
    }
    expect(chunks).toBeLessThan(20);
    let now = await health();
    for (let i = 0; i < 50 && now.running !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await health();
    }
    expect(now.running).toBe(0);
    expect(now.steps - before).toBeLessThan(50);
  });
});

describe('aya-fw serve under pressure', () => {
  it('answers 429 when its queue is full, and ends a request past its time limit with 504 or an error chunk', async () => {
    const dir = await tinyModel(mkdtempSync(join(tmpdir(), 'aya-serve-')));
    const server = await startServe(['--model', dir, '--max-batch', '1', '--max-queue', '1', '--request-timeout', '0.05']);
    const client = new OpenAI({ baseURL: server.url, apiKey: 'none', maxRetries: 0 });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => client.completions.create({ model: 'model', prompt: 'busy', max_tokens: 100 })));
      const statuses = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { status?: number }).status : 200));
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(4);
      expect(statuses.every((s) => s === 429 || s === 504 || s === 200)).toBe(true);
      const stream = await client.completions.create({ model: 'model', prompt: 'slow', max_tokens: 100, stream: true });
      await expect(
        (async () => {
          for await (const _ of stream);
        })(),
      ).rejects.toThrow(/longer than 0.05 s/);
    } finally {
      await server.stop();
    }
  });
});
