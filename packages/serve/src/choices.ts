import { mixSeed, Rng, TextStream, type Tokenizer, type TokenLogprob } from '@aya-fw/core';
import { ApiError } from './api-error';
import { QueueFullError, type GenerationScheduler, type Job } from './scheduler';

/** Sampling of one request, already checked. */
export interface ChoiceParams {
  readonly maxTokens: number;
  /** 0: greedy. */
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
  readonly stops: readonly string[];
  /** Report log-probs with this many alternatives; undefined: none. */
  readonly topLogprobs?: number;
  readonly ignoreEos?: boolean;
}

/** A token's log-prob as the API reports it: the token's text, its bytes, and the alternatives. */
export interface TokenReport {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
  readonly top: readonly { token: string; logprob: number; bytes: number[] }[];
}

/** New text of one choice (streamed), and its finish reason on the last one. */
export interface ChoiceDelta {
  readonly index: number;
  readonly text: string;
  readonly logprobs: readonly TokenReport[];
  readonly finish?: 'stop' | 'length';
}

/** A finished choice. */
export interface ChoiceResult {
  readonly index: number;
  readonly text: string;
  readonly finish: 'stop' | 'length';
  readonly tokens: number;
  readonly logprobs: readonly TokenReport[];
}

const report = (tokenizer: Tokenizer, t: TokenLogprob) => {
  const token = tokenizer.decode([t.token]);
  return { token, logprob: t.logprob, bytes: [...Buffer.from(token, 'utf8')] };
};

/**
 * Decodes `n` choices of every prompt through the scheduler (choice index p·n + i, sampled with
 * the stream `mixSeed(seed, index)`, so a seed reproduces a request whatever else is in the
 * batch), applying stop strings; `onDelta` hears the text as it becomes safe to show. Rejects
 * with 429 when the queue is full; `signal` (the client went away, or a time limit) cancels.
 */
export function generateChoices(
  scheduler: GenerationScheduler,
  tokenizer: Tokenizer,
  prompts: readonly (readonly number[])[],
  n: number,
  params: ChoiceParams,
  signal: AbortSignal,
  onDelta?: (d: ChoiceDelta) => void,
): Promise<ChoiceResult[]> {
  return new Promise((resolve, reject) => {
    const count = prompts.length * n;
    const results: ChoiceResult[] = new Array(count);
    const streams = Array.from({ length: count }, () => new TextStream(tokenizer, params.stops));
    const logprobs: TokenReport[][] = Array.from({ length: count }, () => []);
    const tokens = new Array<number>(count).fill(0);
    let left = count;
    let failed = false;
    let jobs: Job[] = [];
    const fail = (err: ApiError) => {
      if (failed) return;
      failed = true;
      for (const j of jobs) scheduler.cancel(j);
      reject(err);
    };
    const requests = Array.from({ length: count }, (_, index) => ({
      prompt: prompts[Math.floor(index / n)],
      maxNewTokens: params.maxTokens,
      doSample: params.temperature > 0,
      temperature: params.temperature || 1,
      topP: params.topP,
      rng: new Rng(mixSeed(params.seed, index)),
      topLogprobs: params.topLogprobs,
      ignoreEos: params.ignoreEos,
    }));
    try {
      jobs = scheduler.submit(requests, (index, e) => {
        if (failed || results[index]) return;
        if (e.type === 'error') return fail(new ApiError(500, `generation failed: ${e.message}`));
        const { token, logprob, top, finish } = e.token;
        const stream = streams[index];
        tokens[index]++;
        const lp = logprob ? [{ ...report(tokenizer, logprob), top: (top ?? []).map((t) => report(tokenizer, t)) }] : [];
        logprobs[index].push(...lp);
        let text = stream.push(token);
        const done: 'stop' | 'length' | undefined = stream.stopped || finish === 'stop' || finish === 'cancelled' ? 'stop' : finish === 'length' ? 'length' : undefined;
        if (stream.stopped && !finish) scheduler.cancel(jobs[index]);
        if (done) text += stream.finish();
        if (text || lp.length || done) onDelta?.({ index, text, logprobs: lp, finish: done });
        if (!done) return;
        results[index] = { index, text: stream.text, finish: done, tokens: tokens[index], logprobs: logprobs[index] };
        if (--left === 0) resolve(results);
      });
    } catch (err) {
      if (err instanceof QueueFullError) return reject(new ApiError(429, err.message, 'rate_limit_error', null, 'queue_full'));
      return reject(err);
    }
    if (signal.aborted) fail(new ApiError(408, 'the request was cancelled'));
    signal.addEventListener('abort', () => fail(new ApiError(signal.reason instanceof ApiError ? signal.reason.status : 408, signal.reason instanceof ApiError ? signal.reason.message : 'the request was cancelled')), { once: true });
  });
}
