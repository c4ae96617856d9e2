import type { Tokenizer } from '../tokenizer/tokenizer';

/**
 * Detokenizes one row as it grows and applies stop strings: `push` returns the text that is
 * safe to show (never half a character, never the start of what may become a stop string),
 * and says when a stop string has appeared (the text ends before it, as OpenAI's API does).
 */
export class TextStream {
  readonly #tokens: number[] = [];
  #emitted = 0;
  #text = '';
  stopped = false;

  constructor(
    readonly tokenizer: Tokenizer,
    readonly stops: readonly string[] = [],
  ) {}

  /** The text so far (up to a stop string, once one appeared). */
  get text(): string {
    return this.#text;
  }

  /** Adds a token; returns the newly safe text. */
  push(token: number): string {
    if (this.stopped) return '';
    this.#tokens.push(token);
    const text = this.tokenizer.decode(this.#tokens, { skipSpecialTokens: true });
    let end = text.length;
    for (const s of this.stops) {
      const at = s ? text.indexOf(s) : -1;
      if (at >= 0 && at < end) {
        end = at;
        this.stopped = true;
      }
    }
    this.#text = text.slice(0, end);
    if (this.stopped) return this.#take(end);
    let safe = text.endsWith('\uFFFD') ? text.length - 1 : text.length;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, safe); k > 0; k--) {
        if (text.endsWith(s.slice(0, k))) {
          safe = Math.min(safe, text.length - k);
          break;
        }
      }
    }
    return this.#take(safe);
  }

  /** The rest of the text once the row has finished. */
  finish(): string {
    return this.#take(this.#text.length);
  }

  #take(end: number): string {
    if (end <= this.#emitted) return '';
    const out = this.#text.slice(this.#emitted, end);
    this.#emitted = end;
    return out;
  }
}
