import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AyaError, errorMessage } from '../errors';
import { writeJsonAtomic } from '../fs/atomic';

/** Options of an {@link OpenAIClient}. */
export interface OpenAIClientOptions {
  /** Base URL ending in `/v1` (`http://127.0.0.1:8000/v1`). */
  readonly baseURL: string;
  /** Sent as `Authorization: Bearer <key>` when set. */
  readonly apiKey?: string;
  /** Requests in flight at once (default 8); the rest wait their turn. */
  readonly maxConcurrency?: number;
  /** Retries of a failed request: connection errors, timeouts, 408, 409, 429 and 5xx (default 4). */
  readonly maxRetries?: number;
  /** Time limit of one attempt in ms (default 600 000). */
  readonly timeoutMs?: number;
  /** Folder of cached answers keyed by request; a rerun asks the server nothing it has answered. */
  readonly cacheDir?: string;
  /** Delay before retry n (0-based) when the server names none; default min(0.5·2ⁿ, 8) s, minus up to 25% jitter (openai-node). */
  readonly backoffMs?: (attempt: number) => number;
}

/** A failed request: the server's status and its OpenAI-shaped error message. */
export class RemoteError extends AyaError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const RETRYABLE = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/**
 * A thin client for OpenAI-compatible endpoints (vLLM, llama.cpp's server, `aya-fw serve`) on
 * Node's fetch: a concurrency limit, retries with backoff honouring `retry-after-ms` and
 * `retry-after`, a time limit per attempt, and an on-disk cache of answers keyed by the request.
 */
export class OpenAIClient {
  readonly baseURL: string;
  readonly #options: OpenAIClientOptions;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];
  /** HTTP requests sent (cache hits send none; each retry is one more). */
  requests = 0;

  constructor(options: OpenAIClientOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.#options = options;
  }

  /** `GET /models`: the ids the endpoint serves. */
  async models(): Promise<string[]> {
    const body = (await this.#send('GET', '/models')) as { data?: { id?: unknown }[] };
    return (body.data ?? []).map((m) => String(m.id));
  }

  /** `POST /chat/completions` (not streamed). */
  chat(body: Record<string, unknown>): Promise<ChatCompletion> {
    return this.#cached('/chat/completions', body) as Promise<ChatCompletion>;
  }

  /** `POST /completions` (not streamed). */
  completions(body: Record<string, unknown>): Promise<TextCompletion> {
    return this.#cached('/completions', body) as Promise<TextCompletion>;
  }

  async #cached(path: string, body: Record<string, unknown>): Promise<unknown> {
    const dir = this.#options.cacheDir;
    if (!dir) return this.#send('POST', path, body);
    const key = createHash('sha256').update(JSON.stringify([this.baseURL + path, body])).digest('hex');
    const file = join(dir, key.slice(0, 2), `${key}.json`);
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')).response;
      } catch {
        // A damaged cache entry is asked again and rewritten.
      }
    }
    const response = await this.#send('POST', path, body);
    mkdirSync(join(dir, key.slice(0, 2)), { recursive: true });
    writeJsonAtomic(file, { url: this.baseURL + path, request: body, response });
    return response;
  }

  async #send(method: string, path: string, body?: unknown): Promise<unknown> {
    await this.#acquire();
    try {
      const retries = this.#options.maxRetries ?? 4;
      for (let attempt = 0; ; attempt++) {
        const url = this.baseURL + path;
        let response: Response;
        try {
          this.requests++;
          response = await fetch(url, {
            method,
            headers: { 'content-type': 'application/json', ...(this.#options.apiKey ? { authorization: `Bearer ${this.#options.apiKey}` } : {}) },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(this.#options.timeoutMs ?? 600_000),
          });
        } catch (err) {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          const reason = cause?.code ?? cause?.message ?? errorMessage(err);
          if (attempt < retries) {
            await sleep(this.#backoff(attempt));
            continue;
          }
          throw new RemoteError(`${method} ${url}: ${reason} (after ${attempt + 1} attempts)`);
        }
        const text = await response.text();
        if (response.ok) {
          try {
            return JSON.parse(text);
          } catch {
            throw new RemoteError(`${method} ${url}: the answer is not JSON (${text.slice(0, 80)})`, response.status);
          }
        }
        const shouldRetry = response.headers.get('x-should-retry');
        const retry = shouldRetry === 'true' || (shouldRetry !== 'false' && RETRYABLE(response.status));
        if (retry && attempt < retries) {
          await sleep(retryAfter(response.headers) ?? this.#backoff(attempt));
          continue;
        }
        throw new RemoteError(`${method} ${url}: ${response.status} ${errorText(text)}`, response.status);
      }
    } finally {
      this.#release();
    }
  }

  #backoff(attempt: number): number {
    return this.#options.backoffMs ? this.#options.backoffMs(attempt) : Math.min(500 * 2 ** attempt, 8000) * (1 - Math.random() * 0.25);
  }

  async #acquire(): Promise<void> {
    if (this.#inFlight < (this.#options.maxConcurrency ?? 8)) {
      this.#inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inFlight--;
  }
}

/** The wait a server asks for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date (at most a minute). */
export function retryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000);
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  const wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(wait) && wait >= 0 ? Math.min(wait, 60_000) : undefined;
}

/** The message of an error body (`{error: {message}}`, `{error: "…"}`, or text). */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text);
    const e = body?.error ?? body;
    return String(typeof e === 'string' ? e : (e?.message ?? text)).slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The parts of a chat completion the project reads. */
export interface ChatCompletion {
  readonly choices: readonly { index: number; message: { role: string; content: string | null }; finish_reason: string | null }[];
  readonly usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** The parts of a text completion the project reads. */
export interface TextCompletion {
  readonly choices: readonly { index: number; text: string; finish_reason: string | null }[];
  readonly usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
