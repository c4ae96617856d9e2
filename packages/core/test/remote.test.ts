import { isRemoteModel, OpenAIClient, parseRemoteModel, RemoteError, retryAfter } from '@aya-fw/core';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scripted HTTP endpoint: each request gets the next answer of `script` (the last repeats). */
async function scripted(script: ((req: IncomingMessage, res: ServerResponse) => void)[]): Promise<{ url: string; hits: () => number; peak: () => number; close: () => Promise<void>; server: Server }> {
  let hits = 0;
  let open = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    const answer = script[Math.min(hits++, script.length - 1)];
    open++;
    peak = Math.max(peak, open);
    req.resume();
    req.on('end', () => setTimeout(() => (answer(req, res), open--), 20));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, hits: () => hits, peak: () => peak, close: () => new Promise((ok) => server.close(() => ok())), server };
}

const reply = (status: number, body: object, headers: Record<string, string> = {}) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const ok = reply(200, { choices: [{ index: 0, text: 'fine', finish_reason: 'stop' }] });

describe('OpenAIClient', () => {
  it('retries 429 after the retry-after-ms the server asks for, and 5xx with backoff', async () => {
    const s = await scripted([reply(429, { error: { message: 'slow down' } }, { 'retry-after-ms': '300' }), reply(503, { error: 'busy' }), ok]);
    const client = new OpenAIClient({ baseURL: s.url, backoffMs: () => 10 });
    const t = Date.now();
    const r = await client.completions({ prompt: 'x' });
    expect(Date.now() - t).toBeGreaterThanOrEqual(300);
    expect(r.choices[0].text).toBe('fine');
    expect(s.hits()).toBe(3);
    await s.close();
  });

  it('does not retry a 400, and names the URL, the status and the server\'s message', async () => {
    const s = await scripted([reply(400, { error: { message: 'temperature: too big', param: 'temperature' } })]);
    const client = new OpenAIClient({ baseURL: s.url, backoffMs: () => 1 });
    await expect(client.completions({ prompt: 'x' })).rejects.toThrow(new RemoteError(`POST ${s.url}/completions: 400 temperature: too big`));
    expect(s.hits()).toBe(1);
    await s.close();
  });

  it('x-should-retry: false overrides a retryable status; retries give up after maxRetries', async () => {
    const s = await scripted([reply(500, { error: 'no' }, { 'x-should-retry': 'false' })]);
    await expect(new OpenAIClient({ baseURL: s.url, backoffMs: () => 1 }).completions({ prompt: 'x' })).rejects.toMatchObject({ status: 500 });
    expect(s.hits()).toBe(1);
    await s.close();
    const t = await scripted([reply(502, { error: 'bad gateway' })]);
    await expect(new OpenAIClient({ baseURL: t.url, maxRetries: 2, backoffMs: () => 1 }).completions({ prompt: 'x' })).rejects.toMatchObject({ status: 502 });
    expect(t.hits()).toBe(3);
    await t.close();
  });

  it('a server that is not there is one clear error after the retries', async () => {
    const s = await scripted([ok]);
    await s.close(); // a port nobody listens on
    const client = new OpenAIClient({ baseURL: s.url, maxRetries: 1, backoffMs: () => 1 });
    await expect(client.models()).rejects.toThrow(`GET ${s.url}/models: ECONNREFUSED (after 2 attempts)`);
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    const s = await scripted([ok]);
    const client = new OpenAIClient({ baseURL: s.url, maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.completions({ prompt: `p${i}` })));
    expect(s.hits()).toBe(12);
    expect(s.peak()).toBe(3);
    await s.close();
  });

  it('caches answers by request: a second client on the same folder sends nothing; another request is asked', async () => {
    const s = await scripted([ok]);
    const cacheDir = mkdtempSync(join(tmpdir(), 'aya-cache-'));
    await new OpenAIClient({ baseURL: s.url, cacheDir }).completions({ prompt: 'x', seed: 1 });
    const again = new OpenAIClient({ baseURL: s.url, cacheDir });
    expect((await again.completions({ prompt: 'x', seed: 1 })).choices[0].text).toBe('fine');
    expect(again.requests).toBe(0);
    await again.completions({ prompt: 'x', seed: 2 });
    expect(again.requests).toBe(1);
    expect(s.hits()).toBe(2);
    await s.close();
  });

  it('reads retry-after in seconds and as an HTTP date', () => {
    expect(retryAfter(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const inFive = retryAfter(new Headers({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }))!;
    expect(inFive).toBeGreaterThan(3000);
    expect(inFive).toBeLessThanOrEqual(5000);
    expect(retryAfter(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('remote model references', () => {
  it('parse http(s)://host/v1#model and tell URLs from folders', () => {
    expect(parseRemoteModel('http://127.0.0.1:8000/v1#aya-expanse-8b')).toEqual({ baseURL: 'http://127.0.0.1:8000/v1', model: 'aya-expanse-8b' });
    expect(parseRemoteModel('https://api.example.com/v1/')).toEqual({ baseURL: 'https://api.example.com/v1', model: undefined });
    expect(isRemoteModel('runs/sft/model')).toBe(false);
    expect(isRemoteModel('HTTP://x/v1')).toBe(true);
    expect(() => parseRemoteModel('http://')).toThrow(/not a valid URL/);
  });
});
