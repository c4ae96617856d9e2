import type { ChatMessage, Tokenizer } from '../hf/tokenizer/tokenizer';
import { DataError, type TextOrChat } from './examples';

/** Options of tokenization for training. */
export interface TokenizeOptions {
  /** Longest sequence (prompt + completion); longer ones are truncated. */
  readonly maxLength?: number;
  /** Longest prompt; longer prompts keep their end. */
  readonly maxPromptLength?: number;
  /** Append EOS to text completions (conversations end with the template's own end-of-turn). Default true. */
  readonly addEos?: boolean;
}

/** A prompt and a completion as token ids. */
export interface PromptCompletionIds {
  readonly promptIds: number[];
  readonly completionIds: number[];
}

/** Token ids and the positions that count in the loss (1) or not (0). */
export interface TokenizedSequence {
  readonly ids: number[];
  readonly lossMask: number[];
}

function asMessages(x: TextOrChat, role: string): ChatMessage[] {
  return typeof x === 'string' ? [{ role, content: x }] : [...x];
}

/**
 * Tokenizes a prompt and its completion as TRL does: text prompts get the tokenizer's special
 * tokens (BOS) and text completions EOS; conversations are rendered with the chat template
 * (prompt with the generation prompt) and the completion is what the full conversation adds.
 */
export function tokenizePromptCompletion(tok: Tokenizer, prompt: TextOrChat, completion: TextOrChat, where: string, options: TokenizeOptions = {}): PromptCompletionIds {
  let promptIds: number[];
  let completionIds: number[];
  if (typeof prompt === 'string' && typeof completion === 'string') {
    promptIds = tok.encode(prompt);
    completionIds = tok.encode(completion, { addSpecialTokens: false });
    const eos = tok.eosTokenId;
    if ((options.addEos ?? true) && eos !== undefined) completionIds.push(eos);
  } else {
    const promptMessages = asMessages(prompt, 'user');
    promptIds = tok.applyChatTemplate(promptMessages, { addGenerationPrompt: true, tokenize: true });
    const full = tok.applyChatTemplate([...promptMessages, ...asMessages(completion, 'assistant')], { tokenize: true });
    if (full.length < promptIds.length || promptIds.some((id, i) => full[i] !== id)) {
      throw new DataError(`${where}: the chat template renders the prompt differently inside the full conversation; cannot separate the completion`);
    }
    completionIds = full.slice(promptIds.length);
  }
  return truncate(promptIds, completionIds, options);
}

/** Keeps the end of a long prompt, then cuts the completion to fit `maxLength` (at least one token stays). */
export function truncate(promptIds: number[], completionIds: number[], options: TokenizeOptions): PromptCompletionIds {
  let p = promptIds;
  let c = completionIds;
  if (options.maxPromptLength !== undefined && p.length > options.maxPromptLength) p = p.slice(p.length - options.maxPromptLength);
  if (options.maxLength !== undefined && p.length + c.length > options.maxLength) {
    const room = Math.max(options.maxLength - p.length, Math.min(1, c.length));
    c = c.slice(0, room);
    if (p.length + c.length > options.maxLength) p = p.slice(p.length + c.length - options.maxLength);
  }
  return { promptIds: p, completionIds: c };
}

/** A prompt and completion as one sequence whose loss mask covers the completion (or everything). */
export function completionSequence(ids: PromptCompletionIds, completionOnly = true): TokenizedSequence {
  return {
    ids: [...ids.promptIds, ...ids.completionIds],
    lossMask: [...ids.promptIds.map(() => (completionOnly ? 0 : 1)), ...ids.completionIds.map(() => 1)],
  };
}

/**
 * A language-modelling row: text (with EOS) counts everywhere; a conversation counts on the
 * assistant turns only unless `assistantOnly` is false.
 */
export function tokenizeLanguageModeling(tok: Tokenizer, text: TextOrChat, where: string, options: TokenizeOptions & { assistantOnly?: boolean } = {}): TokenizedSequence {
  if (typeof text === 'string') {
    const ids = tok.encode(text);
    if ((options.addEos ?? true) && tok.eosTokenId !== undefined) ids.push(tok.eosTokenId);
    const cut = options.maxLength !== undefined ? ids.slice(0, options.maxLength) : ids;
    return { ids: cut, lossMask: cut.map(() => 1) };
  }
  const ids = tok.applyChatTemplate(text, { tokenize: true });
  const mask = ids.map(() => (options.assistantOnly ?? true ? 0 : 1));
  if (options.assistantOnly ?? true) {
    let any = false;
    text.forEach((m, i) => {
      if (m.role !== 'assistant') return;
      const start = tok.applyChatTemplate(text.slice(0, i), { addGenerationPrompt: true, tokenize: true }).length;
      const end = tok.applyChatTemplate(text.slice(0, i + 1), { tokenize: true }).length;
      for (let t = start; t < end && t < mask.length; t++) mask[t] = 1;
      any = true;
    });
    if (!any) throw new DataError(`${where}: field 'messages': no assistant message to learn from`);
  }
  const n = options.maxLength ?? ids.length;
  return { ids: ids.slice(0, n), lossMask: mask.slice(0, n) };
}

/** Concatenates sequences into rows of exactly `length` tokens (the last may be shorter), keeping their masks. */
export function pack(sequences: readonly TokenizedSequence[], length: number): TokenizedSequence[] {
  const ids = sequences.flatMap((s) => s.ids);
  const mask = sequences.flatMap((s) => s.lossMask);
  const out: TokenizedSequence[] = [];
  for (let i = 0; i < ids.length; i += length) out.push({ ids: ids.slice(i, i + length), lossMask: mask.slice(i, i + length) });
  return out;
}
