import { OpenAIClient, type Engine } from '@aya-fw/core';
import { startServer } from './server';

/** Options of {@link benchServe}. */
export interface BenchServeOptions {
  readonly model: string;
  /** Concurrent clients per level (default 1, 8, 32). */
  readonly clients?: readonly number[];
  /** Requests per client at each level (default 4). */
  readonly requestsPerClient?: number;
  /** New tokens per request, past EOS (default 32). */
  readonly newTokens?: number;
  /** Rows decoded together by the server (default 32). */
  readonly maxBatch?: number;
}

/** One concurrency level. */
export interface BenchServeRow {
  readonly clients: number;
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Completion tokens per second over all clients. */
  readonly tokensPerSecond: number;
  /** Median time from sending a request to its whole answer. */
  readonly medianLatencyMs: number;
}

/**
 * Throughput of `aya-fw serve` under load: the server on a loopback port in this process, and
 * `clients` loops each sending `requestsPerClient` greedy text completions one after another
 * over HTTP (one warm-up request first).
 */
export async function benchServe(engine: Engine, options: BenchServeOptions): Promise<BenchServeRow[]> {
  const server = await startServer(engine, { model: options.model, port: 0, maxBatch: options.maxBatch ?? 32, maxQueue: 4096 });
  const client = new OpenAIClient({ baseURL: `${server.url}/v1`, maxConcurrency: 1024, maxRetries: 0 });
  const newTokens = options.newTokens ?? 32;
  const ask = async (i: number) => {
    const t = performance.now();
    const r = await client.completions({ prompt: `benchmark request ${i}: once upon a time`, max_tokens: newTokens, temperature: 0, ignore_eos: true });
    return { ms: performance.now() - t, tokens: r.usage?.completion_tokens ?? 0 };
  };
  try {
    await ask(-1);
    const rows: BenchServeRow[] = [];
    for (const clients of options.clients ?? [1, 8, 32]) {
      const per = options.requestsPerClient ?? 4;
      const started = performance.now();
      const results = (await Promise.all(Array.from({ length: clients }, async (_, c) => {
        const out: { ms: number; tokens: number }[] = [];
        for (let k = 0; k < per; k++) out.push(await ask(c * per + k));
        return out;
      }))).flat();
      const seconds = (performance.now() - started) / 1000;
      const ms = results.map((r) => r.ms).sort((a, b) => a - b);
      rows.push({
        clients,
        requests: results.length,
        seconds,
        requestsPerSecond: results.length / seconds,
        tokensPerSecond: results.reduce((a, r) => a + r.tokens, 0) / seconds,
        medianLatencyMs: ms[Math.floor(ms.length / 2)],
      });
    }
    return rows;
  } finally {
    await server.close();
  }
}
