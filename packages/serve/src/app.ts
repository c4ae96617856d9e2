import { errorMessage, type PretrainedModel, type Tokenizer, type z } from '@aya-fw/core';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error';
import { generateChoices, type ChoiceDelta, type ChoiceParams, type ChoiceResult, type TokenReport } from './choices';
import { ChatRequestSchema, CompletionRequestSchema, contentText } from './request-schemas';
import type { GenerationScheduler } from './scheduler';

/** The model a server answers for. */
export interface ServedModel {
  /** The id clients send as `model` and `GET /v1/models` lists. */
  readonly id: string;
  readonly model: PretrainedModel;
  readonly tokenizer: Tokenizer;
  readonly scheduler: GenerationScheduler;
  /** Most positions (prompt + completion), from `max_position_embeddings`. */
  readonly contextLength?: number;
  /** Completion tokens when a request names none (capped by the context). */
  readonly defaultMaxTokens: number;
  readonly created: number;
}

/** Limits and credentials of the HTTP layer. */
export interface AppOptions {
  /** With a key, every route but `/health` needs `Authorization: Bearer <key>`. */
  readonly apiKey?: string;
  /** Larger request bodies are answered 413 (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** A request still generating after this long is cancelled: 504, or an error chunk in a stream (default 300 s). */
  readonly requestTimeoutMs?: number;
  /** One line per request or failure. */
  readonly log?: (line: string) => void;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The routes of `aya-fw serve`: `/health`, `/v1/models`, `/v1/chat/completions`, `/v1/completions`. */
export function createApp(served: ServedModel, options: AppOptions = {}): Hono {
  const app = new Hono();
  const timeoutMs = options.requestTimeoutMs ?? 300_000;

  app.onError((err, c) => {
    const e = err instanceof ApiError ? err : new ApiError(500, `internal error: ${errorMessage(err)}`);
    if (e.status >= 500) options.log?.(`${c.req.method} ${c.req.path}: ${e.message}`);
    // The rest of an over-long body is never read: the connection must not be reused.
    if (e.status === 413) c.header('connection', 'close');
    return c.json(e.body, e.status);
  });
  app.notFound((c) => c.json(new ApiError(404, `no route ${c.req.method} ${c.req.path}`).body, 404));

  app.get('/health', (c) => c.json({ status: 'ok', model: served.id, ...served.scheduler.load, ...served.scheduler.stats }));

  if (options.apiKey) {
    const expected = digest(options.apiKey);
    app.use('/v1/*', async (c, next) => {
      if (c.req.method === 'OPTIONS') return next();
      const header = c.req.header('authorization') ?? '';
      const match = /^bearer\s+(.+)$/i.exec(header.trim());
      if (!match || !timingSafeEqual(digest(match[1]), expected)) throw new ApiError(401, 'Incorrect API key provided', 'authentication_error', null, 'invalid_api_key');
      return next();
    });
  }
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1 << 20,
      onError: () => {
        throw new ApiError(413, `the request body is larger than ${options.maxBodyBytes ?? 1 << 20} bytes`, 'invalid_request_error', null, 'body_too_large');
      },
    }),
  );

  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: [{ id: served.id, object: 'model', created: served.created, owned_by: 'aya-fw', ...(served.contextLength ? { max_model_len: served.contextLength } : {}) }] }),
  );

  app.post('/v1/chat/completions', async (c) => {
    const body = await parseBody(c, ChatRequestSchema);
    checkModel(body.model);
    if (body.top_logprobs && !body.logprobs) throw new ApiError(400, 'top_logprobs needs logprobs: true', 'invalid_request_error', 'top_logprobs');
    const messages = body.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: contentText(m.content) }));
    if (!served.tokenizer.chatTemplate) throw new ApiError(400, `model '${served.id}' has no chat template; use /v1/completions`, 'invalid_request_error', 'messages');
    let prompt: number[];
    try {
      prompt = served.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, tokenize: true });
    } catch (err) {
      throw new ApiError(400, `the chat template failed on these messages: ${errorMessage(err)}`, 'invalid_request_error', 'messages');
    }
    const params = choiceParams(body, [prompt], body.max_completion_tokens ?? body.max_tokens, 'max_completion_tokens', body.logprobs ? (body.top_logprobs ?? 0) : undefined);
    const n = body.n ?? 1;
    const head = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: served.id };
    const logprobsOf = (l: readonly TokenReport[]) => (body.logprobs ? { content: l.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.top })) } : null);
    if (body.stream) {
      return stream(c, [prompt], n, params, body.stream_options?.include_usage ?? false, head, 'chat.completion.chunk', (choices) => choices.map((i) => ({ index: i, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null })), (d) => ({
        index: d.index,
        delta: d.text ? { content: d.text } : {},
        logprobs: d.logprobs.length ? logprobsOf(d.logprobs) : null,
        finish_reason: d.finish ?? null,
      }));
    }
    const results = await run(c, [prompt], n, params);
    return c.json({
      ...head,
      object: 'chat.completion',
      choices: results.map((r) => ({ index: r.index, message: { role: 'assistant', content: r.text }, logprobs: logprobsOf(r.logprobs), finish_reason: r.finish })),
      usage: usage([prompt], results),
    });
  });

  app.post('/v1/completions', async (c) => {
    const body = await parseBody(c, CompletionRequestSchema);
    checkModel(body.model);
    const raw = body.prompt;
    const prompts: number[][] =
      typeof raw === 'string' ? [served.tokenizer.encode(raw)] : typeof raw[0] === 'string' ? (raw as string[]).map((p) => served.tokenizer.encode(p)) : typeof raw[0] === 'number' ? [raw as number[]] : (raw as number[][]);
    const vocab = served.model.config.vocabSize;
    prompts.forEach((p, i) => {
      if (p.length === 0) throw new ApiError(400, `prompt ${i} encodes to no tokens`, 'invalid_request_error', 'prompt');
      const bad = p.find((t) => t >= vocab);
      if (bad !== undefined) throw new ApiError(400, `prompt ${i}: token id ${bad} is outside the vocabulary (${vocab})`, 'invalid_request_error', 'prompt');
    });
    const params = choiceParams(body, prompts, body.max_tokens ?? 16, 'max_tokens', body.logprobs ?? undefined);
    const n = body.n ?? 1;
    const echo = (index: number) => (body.echo ? served.tokenizer.decode(prompts[Math.floor(index / n)]) : '');
    const head = { id: `cmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: served.id };
    const logprobsOf = (l: readonly TokenReport[]) =>
      body.logprobs === undefined || body.logprobs === null
        ? null
        : {
            tokens: l.map((t) => t.token),
            token_logprobs: l.map((t) => t.logprob),
            top_logprobs: l.map((t) => Object.fromEntries(t.top.map((x) => [x.token, x.logprob]))),
            text_offset: l.map((_, i) => l.slice(0, i).reduce((a, t) => a + t.token.length, 0)),
          };
    if (body.stream) {
      return stream(c, prompts, n, params, body.stream_options?.include_usage ?? false, head, 'text_completion', (choices) => (body.echo ? choices.map((i) => ({ index: i, text: echo(i), logprobs: null, finish_reason: null })) : []), (d) => ({
        index: d.index,
        text: d.text,
        logprobs: d.logprobs.length ? logprobsOf(d.logprobs) : null,
        finish_reason: d.finish ?? null,
      }));
    }
    const results = await run(c, prompts, n, params);
    return c.json({
      ...head,
      object: 'text_completion',
      choices: results.map((r) => ({ index: r.index, text: echo(r.index) + r.text, logprobs: logprobsOf(r.logprobs), finish_reason: r.finish })),
      usage: usage(prompts, results),
    });
  });

  function checkModel(model: string | undefined): void {
    if (model !== undefined && model !== served.id) throw new ApiError(404, `The model '${model}' does not exist; this server serves '${served.id}'`, 'invalid_request_error', 'model', 'model_not_found');
  }

  function choiceParams(
    body: { temperature?: number | null; top_p?: number | null; seed?: number | null; stop?: string | string[] | null; ignore_eos?: boolean | null },
    prompts: readonly (readonly number[])[],
    requested: number | null | undefined,
    field: string,
    topLogprobs: number | undefined,
  ): ChoiceParams {
    const longest = Math.max(...prompts.map((p) => p.length));
    const room = served.contextLength === undefined ? Infinity : served.contextLength - longest;
    if (room < 1) throw new ApiError(400, `the prompt has ${longest} tokens; this model's context is ${served.contextLength}`, 'invalid_request_error', field === 'max_tokens' ? 'prompt' : 'messages');
    const maxTokens = requested ?? Math.min(served.defaultMaxTokens, room);
    if (maxTokens > room) throw new ApiError(400, `${field} is ${maxTokens}, but the prompt (${longest} tokens) leaves room for ${room} in this model's context of ${served.contextLength}`, 'invalid_request_error', field);
    return {
      maxTokens,
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      seed: body.seed ?? randomInt(2 ** 31),
      stops: body.stop === undefined || body.stop === null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
      topLogprobs,
      ignoreEos: body.ignore_eos ?? false,
    };
  }

  /** A signal that fires when the client goes away or the time limit passes. */
  function requestSignal(c: Context): { signal: AbortSignal; abort: (reason?: unknown) => void; clear: () => void } {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new ApiError(504, `the request ran longer than ${timeoutMs / 1000} s`)), timeoutMs);
    const onClose = () => controller.abort(new ApiError(408, 'the client went away'));
    c.req.raw.signal.addEventListener('abort', onClose, { once: true });
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      clear: () => {
        clearTimeout(timer);
        c.req.raw.signal.removeEventListener('abort', onClose);
      },
    };
  }

  async function run(c: Context, prompts: readonly (readonly number[])[], n: number, params: ChoiceParams): Promise<ChoiceResult[]> {
    const s = requestSignal(c);
    try {
      return await generateChoices(served.scheduler, served.tokenizer, prompts, n, params, s.signal);
    } finally {
      s.clear();
    }
  }

  async function stream(
    c: Context,
    prompts: readonly (readonly number[])[],
    n: number,
    params: ChoiceParams,
    includeUsage: boolean,
    head: object,
    object: string,
    opening: (choices: number[]) => object[],
    chunk: (d: ChoiceDelta) => object,
  ): Promise<Response> {
    const s = requestSignal(c);
    const queue: ChoiceDelta[] = [];
    let wake: (() => void) | undefined;
    let outcome: { results?: ChoiceResult[]; error?: unknown } | undefined;
    const done = generateChoices(served.scheduler, served.tokenizer, prompts, n, params, s.signal, (d) => {
      queue.push(d);
      wake?.();
    });
    done.then(
      (results) => ((outcome = { results }), wake?.()),
      (error) => ((outcome = { error }), wake?.()),
    );
    // A request refused at once (a full queue) is an HTTP error, not a stream.
    await new Promise((resolve) => setImmediate(resolve));
    if (outcome?.error) {
      s.clear();
      throw outcome.error;
    }
    return streamSSE(c, async (sse) => {
      sse.onAbort(() => s.abort(new ApiError(408, 'the client went away')));
      const send = (choices: object[], extra: object = {}) => sse.writeSSE({ data: JSON.stringify({ ...head, object, choices, ...extra }) });
      try {
        const first = opening(Array.from({ length: prompts.length * n }, (_, i) => i));
        if (first.length) await send(first);
        for (;;) {
          while (queue.length > 0) await send([chunk(queue.shift()!)]);
          if (outcome) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (outcome.error) {
          const e = outcome.error instanceof ApiError ? outcome.error : new ApiError(500, errorMessage(outcome.error));
          await sse.writeSSE({ data: JSON.stringify(e.body) });
          return;
        }
        if (includeUsage) await send([], { usage: usage(prompts, outcome.results!) });
        await sse.writeSSE({ data: '[DONE]' });
      } finally {
        s.clear();
      }
    });
  }

  return app;
}

async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.join('.') || null;
  throw new ApiError(400, `${param ? `${param}: ` : ''}${issue.message}`, 'invalid_request_error', param);
}

function usage(prompts: readonly (readonly number[])[], results: readonly ChoiceResult[]) {
  const prompt = prompts.reduce((a, p) => a + p.length, 0);
  const completion = results.reduce((a, r) => a + r.tokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
