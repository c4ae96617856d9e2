import { loadAdapter, loadPretrained, stopTokenIds, Tokenizer, UsageError, type Engine } from '@aya-fw/core';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { basename, resolve } from 'node:path';
import { createApp, type AppOptions } from './app';
import { GenerationScheduler } from './scheduler';

/** Options of {@link startServer} (`aya-fw serve`). */
export interface ServeOptions extends AppOptions {
  /** Model folder. */
  readonly model: string;
  /** PEFT adapter folder loaded onto it. */
  readonly adapter?: string;
  /** The id clients use (default: the folder's name). */
  readonly name?: string;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  readonly host?: string;
  /** Port (default 8000; 0 picks a free one). */
  readonly port?: number;
  /** Rows decoded together (default 32). */
  readonly maxBatch?: number;
  /** Rows waiting before requests are answered 429 (default 256). */
  readonly maxQueue?: number;
  /** Completion tokens when a request names none (default 256, capped by the context). */
  readonly defaultMaxTokens?: number;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` (append `/v1` for clients). */
  readonly url: string;
  readonly port: number;
  readonly modelId: string;
  readonly scheduler: GenerationScheduler;
  /** Stops listening, ends open requests and frees the model. */
  close(): Promise<void>;
}

/** Loads the model (and adapter) and serves it over an OpenAI-compatible HTTP API. */
export async function startServer(engine: Engine, options: ServeOptions): Promise<RunningServer> {
  const dir = resolve(options.model);
  const tokenizer = Tokenizer.fromPretrained(dir);
  const model = loadPretrained(dir, { trainable: false });
  try {
    if (model.task !== 'causal-lm') throw new UsageError(`${dir}: a sequence-classification model cannot generate; serve a causal LM`);
    if (options.adapter) loadAdapter(engine, model, resolve(options.adapter));
  } catch (err) {
    model.dispose();
    throw err;
  }
  const scheduler = new GenerationScheduler(model, { eosTokenIds: stopTokenIds(model, tokenizer), maxBatch: options.maxBatch, maxQueue: options.maxQueue });
  const modelId = options.name ?? basename(dir);
  const app = createApp(
    { id: modelId, model, tokenizer, scheduler, contextLength: model.config.maxPositions || undefined, defaultMaxTokens: options.defaultMaxTokens ?? 256, created: Math.floor(Date.now() / 1000) },
    options,
  );
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((ok, fail) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 8000, hostname: host }, () => ok(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      fail(new UsageError(err.code === 'EADDRINUSE' ? `port ${options.port} on ${host} is in use; pick another with --port` : `cannot listen on ${host}:${options.port}: ${err.message}`));
    });
  });
  // A client that sends its headers or body slowly cannot hold a connection for long.
  const http = server as unknown as { headersTimeout: number; requestTimeout: number };
  http.headersTimeout = 10_000;
  http.requestTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    modelId,
    scheduler,
    close: () =>
      new Promise<void>((done) => {
        scheduler.dispose();
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => {
          model.dispose();
          done();
        });
      }),
  };
}
