import { UsageError } from '../errors';
import type { ChatMessage } from '../hf/tokenizer/tokenizer';
import type { DataRow } from '../registry/contributions';

/** Plain text or a conversation (TRL's "standard" and "conversational" forms). */
export type TextOrChat = string | readonly ChatMessage[];

/** A row of any of TRL's dataset formats, normalised (docs: TRL `dataset_formats.md`). */
export type Example =
  | { readonly kind: 'language-modeling'; readonly text: TextOrChat }
  | { readonly kind: 'prompt-completion'; readonly prompt: TextOrChat; readonly completion: TextOrChat }
  | { readonly kind: 'preference'; readonly prompt: TextOrChat; readonly chosen: TextOrChat; readonly rejected: TextOrChat; readonly margin?: number }
  | { readonly kind: 'unpaired-preference'; readonly prompt: TextOrChat; readonly completion: TextOrChat; readonly label: boolean }
  | { readonly kind: 'prompt-only'; readonly prompt: TextOrChat };

export type ExampleKind = Example['kind'];

/** An example with the row it came from (extra columns such as `language` travel with it). */
export interface SourcedExample {
  readonly example: Example;
  readonly row: DataRow;
  /** `file:line` or `file#index`, for errors and reports. */
  readonly where: string;
}

/** A malformed row: names where it is and which field is at fault. */
export class DataError extends UsageError {}

function isMessages(v: unknown): v is ChatMessage[] {
  return Array.isArray(v) && v.every((m) => typeof m === 'object' && m !== null && typeof m.role === 'string' && typeof m.content === 'string');
}

function field(row: DataRow, key: string, where: string): TextOrChat {
  const v = row[key];
  if (typeof v === 'string' || isMessages(v)) return v;
  throw new DataError(`${where}: field '${key}': expected a string or a list of {role, content} messages, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * The prompt shared by an implicit-prompt pair, as TRL's `extract_prompt`: for conversations
 * the common leading messages; for text the common prefix, cut back to before a space.
 */
export function splitImplicitPrompt(chosen: TextOrChat, rejected: TextOrChat, where: string): { prompt: TextOrChat; chosen: TextOrChat; rejected: TextOrChat } {
  if (typeof chosen !== typeof rejected) throw new DataError(`${where}: fields 'chosen' and 'rejected' must both be text or both conversations`);
  if (typeof chosen === 'string' && typeof rejected === 'string') {
    let i = 0;
    while (i < chosen.length && i < rejected.length && chosen[i] === rejected[i]) i++;
    if (i > 0 && i < chosen.length && chosen[i - 1] === ' ') i--;
    return { prompt: chosen.slice(0, i), chosen: chosen.slice(i), rejected: rejected.slice(i) };
  }
  const a = chosen as ChatMessage[];
  const b = rejected as ChatMessage[];
  let i = 0;
  while (i < a.length && i < b.length && a[i].role === b[i].role && a[i].content === b[i].content) i++;
  return { prompt: a.slice(0, i), chosen: a.slice(i), rejected: b.slice(i) };
}

/**
 * Recognises a row's TRL format by its columns: `chosen`/`rejected` (preference, explicit or
 * implicit prompt), `completion` + `label` (unpaired preference), `prompt` + `completion`,
 * `text` or `messages` (language modelling), `prompt` alone (prompt-only).
 */
export function toExample(row: DataRow, where: string): Example {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataError(`${where}: expected a JSON object per row`);
  if ('chosen' in row || 'rejected' in row) {
    const chosen = field(row, 'chosen', where);
    const rejected = field(row, 'rejected', where);
    const margin = row.margin;
    if (margin !== undefined && typeof margin !== 'number') throw new DataError(`${where}: field 'margin': expected a number, got ${describe(margin)}`);
    if ('prompt' in row) return { kind: 'preference', prompt: field(row, 'prompt', where), chosen, rejected, margin };
    return { kind: 'preference', ...splitImplicitPrompt(chosen, rejected, where), margin };
  }
  if ('label' in row) {
    if (typeof row.label !== 'boolean') throw new DataError(`${where}: field 'label': expected true or false, got ${describe(row.label)}`);
    return { kind: 'unpaired-preference', prompt: field(row, 'prompt', where), completion: field(row, 'completion', where), label: row.label };
  }
  if ('completion' in row) return { kind: 'prompt-completion', prompt: field(row, 'prompt', where), completion: field(row, 'completion', where) };
  if ('text' in row) return { kind: 'language-modeling', text: field(row, 'text', where) };
  if ('messages' in row) return { kind: 'language-modeling', text: field(row, 'messages', where) };
  if ('prompt' in row) return { kind: 'prompt-only', prompt: field(row, 'prompt', where) };
  throw new DataError(`${where}: no known TRL columns (text, messages, prompt, completion, chosen, rejected, label); found ${Object.keys(row).join(', ') || 'none'}`);
}
