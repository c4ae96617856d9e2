import { type BackendName } from '@aya-fw/core';
import { startServer } from '@aya-fw/serve';
import { openSession, startBackend, type GlobalOptions, type Session } from '../session';

/** Options of `aya-fw serve`. */
export interface ServeCommandOptions extends GlobalOptions {
  readonly model: string;
  readonly adapter?: string;
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly apiKey?: string;
  readonly maxBatch: number;
  readonly maxQueue: number;
  readonly maxBody: number;
  readonly requestTimeout: number;
  readonly maxTokens: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * `aya-fw serve --model DIR`: the model behind an OpenAI-compatible API until SIGINT or SIGTERM.
 * Loopback only unless `--host` says otherwise; `--api-key` (or `$AYA_FW_API_KEY`) guards `/v1`.
 */
export async function serveCommand(opts: ServeCommandOptions): Promise<Session> {
  const session = await openSession(opts);
  await startBackend(session, (opts.backend ?? 'auto') as BackendName);
  const apiKey = opts.apiKey ?? process.env.AYA_FW_API_KEY;
  if (!LOOPBACK.has(opts.host) && !apiKey) session.reporter.warn(`listening on ${opts.host} without an API key: anyone who can reach this port can use the model (set --api-key)`);
  const server = await startServer(session.engine, {
    model: opts.model,
    adapter: opts.adapter,
    name: opts.name,
    host: opts.host,
    port: opts.port,
    apiKey,
    maxBatch: opts.maxBatch,
    maxQueue: opts.maxQueue,
    maxBodyBytes: opts.maxBody,
    requestTimeoutMs: opts.requestTimeout * 1000,
    defaultMaxTokens: opts.maxTokens,
    log: (line) => session.reporter.warn(line),
  });
  session.reporter.info(`serving '${server.modelId}' at ${server.url}/v1 (OpenAI-compatible; ${apiKey ? 'API key required' : 'no API key'}); Ctrl-C stops`);
  session.reporter.result('url', `${server.url}/v1`);
  session.reporter.result('model', server.modelId);
  session.reporter.flushJson();
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  session.reporter.info(`served ${server.scheduler.stats.rows} completions in ${server.scheduler.stats.steps} decode steps`);
  return session;
}
