import { UsageError } from '../../errors';
import { mixSeed, Rng } from '../../random/rng';
import { isRemoteModel, openRemoteGenerator, type RemoteOptions } from '../../remote/remote-model';
import { loadPretrained } from '../models/load';
import type { PretrainedModel } from '../models/model';
import { Tokenizer, type ChatMessage } from '../tokenizer/tokenizer';
import { BatchDecoder, type SamplingOptions } from './decoder';
import { stopTokenIds } from './special-tokens';
import { TextStream } from './text-stream';

/** One prompt to complete: text, or chat messages (the model's chat template is applied). */
export interface TextRequest extends SamplingOptions {
  readonly prompt?: string;
  readonly messages?: readonly ChatMessage[];
  readonly maxNewTokens: number;
  /** Completions of this prompt (default 1); choice i samples with the stream `mixSeed(seed, i)`. */
  readonly n?: number;
  /** Seed of the sampler (default 0). */
  readonly seed?: number;
  /** Strings that end a completion; the text ends before them. */
  readonly stop?: readonly string[];
}

/** One completion. */
export interface TextChoice {
  readonly text: string;
  /** `stop`: an end-of-sequence token or a stop string; `length`: the token budget. */
  readonly finish: 'stop' | 'length';
}

/**
 * Text in, text out: a local model folder or an OpenAI-compatible endpoint. Teachers, judges,
 * evaluations and pair sampling generate through it, so any of them can be remote.
 */
export interface TextGenerator {
  /** The folder or URL, for messages. */
  readonly name: string;
  /** The choices of each request, in request order; `progress(k)` after each finished request. */
  complete(requests: readonly TextRequest[], progress?: (done: number) => void): Promise<TextChoice[][]>;
  dispose(): void;
}

/** Options of {@link openTextGenerator}. */
export interface TextGeneratorOptions extends RemoteOptions {
  /** Rows decoded at once by a local model (default 32). */
  readonly batchSize?: number;
}

/** A generator for `ref`: `http(s)://host/v1#model` is remote, anything else a local model folder. */
export function openTextGenerator(ref: string, options: TextGeneratorOptions = {}): TextGenerator {
  return isRemoteModel(ref) ? openRemoteGenerator(ref, options) : LocalTextGenerator.open(ref, options.batchSize ?? 32);
}

/** A local model, decoded with continuous batching (`batchSize` rows at a time). */
export class LocalTextGenerator implements TextGenerator {
  readonly #eos: number[];

  /** Over a model already in memory (a merge candidate); `owned` models are freed by {@link dispose}. */
  constructor(
    readonly name: string,
    readonly model: PretrainedModel,
    readonly tokenizer: Tokenizer,
    readonly batchSize = 32,
    readonly owned = false,
  ) {
    this.#eos = stopTokenIds(model, tokenizer);
  }

  /** Loads a model folder (with its tokenizer). */
  static open(dir: string, batchSize = 32): LocalTextGenerator {
    const tokenizer = Tokenizer.fromPretrained(dir);
    return new LocalTextGenerator(dir, loadPretrained(dir, { trainable: false }), tokenizer, batchSize, true);
  }

  /** The prompt's token ids (the chat template applied to messages). */
  encode(request: TextRequest): number[] {
    const ids = request.messages ? this.tokenizer.applyChatTemplate(request.messages, { addGenerationPrompt: true, tokenize: true }) : this.tokenizer.encode(request.prompt ?? '');
    if (ids.length === 0) throw new UsageError(`${this.name}: a prompt encodes to no tokens`);
    return ids;
  }

  async complete(requests: readonly TextRequest[], progress?: (done: number) => void): Promise<TextChoice[][]> {
    const decoder = new BatchDecoder(this.model, { eosTokenIds: this.#eos });
    const jobs = requests.flatMap((request, r) => Array.from({ length: request.n ?? 1 }, (_, i) => ({ request, r, i })));
    const out: TextChoice[][] = requests.map((q) => new Array(q.n ?? 1));
    const left = requests.map((q) => q.n ?? 1);
    let next = 0;
    let done = 0;
    const running = new Map<object, { stream: TextStream; r: number; i: number }>();
    try {
      while (next < jobs.length || decoder.active > 0) {
        while (next < jobs.length && decoder.active < this.batchSize) {
          const { request, r, i } = jobs[next++];
          const row = decoder.add({ ...request, prompt: this.encode(request), rng: new Rng(mixSeed(request.seed ?? 0, i)) });
          running.set(row, { stream: new TextStream(this.tokenizer, request.stop), r, i });
        }
        for (const e of decoder.step()) {
          const job = running.get(e.row)!;
          job.stream.push(e.token);
          if (job.stream.stopped && !e.finish) decoder.cancel(e.row);
          if (!e.finish && !job.stream.stopped) continue;
          out[job.r][job.i] = { text: job.stream.text, finish: job.stream.stopped || e.finish === 'stop' ? 'stop' : 'length' };
          running.delete(e.row);
          if (--left[job.r] === 0) progress?.(++done);
        }
      }
    } finally {
      decoder.dispose();
    }
    return out;
  }

  dispose(): void {
    if (this.owned) this.model.dispose();
  }
}

/** One greedy completion of each text prompt, in order. */
export async function greedyTexts(generator: TextGenerator, prompts: readonly string[], maxNewTokens: number, progress?: (done: number) => void): Promise<string[]> {
  return (await generator.complete(prompts.map((prompt) => ({ prompt, maxNewTokens })), progress)).map((c) => c[0].text);
}
