import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors';
import type { TextChoice, TextGenerator, TextRequest } from '../hf/generation/text-generator';
import { OpenAIClient } from './openai-client';

/** Where a remote model's answers are cached and how it is reached. */
export interface RemoteOptions {
  /** Cache folder (default `$AYA_FW_CACHE_DIR`, else `~/.cache/aya-fw/openai`; `AYA_FW_CACHE_DIR=off` disables it). */
  readonly cacheDir?: string;
  /** API key (default `$AYA_FW_API_KEY`, else `$OPENAI_API_KEY`). */
  readonly apiKey?: string;
  /** Requests in flight at once (default 8). */
  readonly maxConcurrency?: number;
}

/** A model behind an OpenAI-compatible endpoint: `http(s)://host:port/v1#model-name`. */
export interface RemoteModel {
  readonly baseURL: string;
  /** The model id sent with each request; absent: the endpoint's first model. */
  readonly model?: string;
}

/** Whether a model reference names an endpoint rather than a folder. */
export function isRemoteModel(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

/** Parses `http(s)://host:port/v1#model-name`; the fragment names the model. */
export function parseRemoteModel(ref: string): RemoteModel {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new UsageError(`'${ref}' is not a valid URL; a remote model is written http://host:port/v1#model-name`);
  }
  const model = url.hash ? decodeURIComponent(url.hash.slice(1)) : undefined;
  url.hash = '';
  return { baseURL: url.toString().replace(/\/+$/, ''), model: model || undefined };
}

/** The client for a remote model's endpoint, with the key and cache of `options` or the environment. */
export function remoteClient(remote: RemoteModel, options: RemoteOptions = {}): OpenAIClient {
  const env = process.env.AYA_FW_CACHE_DIR;
  const cacheDir = options.cacheDir ?? (env === 'off' ? undefined : (env ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'aya-fw', 'openai')));
  return new OpenAIClient({
    baseURL: remote.baseURL,
    apiKey: options.apiKey ?? process.env.AYA_FW_API_KEY ?? process.env.OPENAI_API_KEY,
    maxConcurrency: options.maxConcurrency,
    cacheDir,
  });
}

/** A {@link TextGenerator} over an endpoint: text prompts through `/completions`, messages through `/chat/completions`. */
export function openRemoteGenerator(ref: string, options: RemoteOptions = {}): TextGenerator {
  const remote = parseRemoteModel(ref);
  const client = remoteClient(remote, options);
  let model: Promise<string> | undefined;
  const modelId = () =>
    (model ??= remote.model
      ? Promise.resolve(remote.model)
      : client.models().then((ids) => {
          if (ids.length === 0) throw new UsageError(`${remote.baseURL} serves no models`);
          return ids[0];
        }));
  const one = async (q: TextRequest): Promise<TextChoice[]> => {
    const body = {
      model: await modelId(),
      max_tokens: q.maxNewTokens,
      temperature: q.doSample ? (q.temperature ?? 1) : 0,
      top_p: q.doSample ? (q.topP ?? 1) : 1,
      n: q.n ?? 1,
      seed: q.seed ?? 0,
      ...(q.stop?.length ? { stop: [...q.stop] } : {}),
    };
    const finish = (reason: string | null): TextChoice['finish'] => (reason === 'length' ? 'length' : 'stop');
    if (q.messages) {
      const r = await client.chat({ ...body, messages: q.messages });
      return [...r.choices].sort((a, b) => a.index - b.index).map((c) => ({ text: c.message.content ?? '', finish: finish(c.finish_reason) }));
    }
    const r = await client.completions({ ...body, prompt: q.prompt ?? '' });
    return [...r.choices].sort((a, b) => a.index - b.index).map((c) => ({ text: c.text, finish: finish(c.finish_reason) }));
  };
  return {
    name: ref,
    async complete(requests, progress) {
      let done = 0;
      return Promise.all(requests.map((q) => one(q).then((c) => (progress?.(++done), c))));
    },
    dispose() {},
  };
}
