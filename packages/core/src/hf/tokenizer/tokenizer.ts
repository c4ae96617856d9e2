import { requireModelFolder } from '../model-folder';
import type * as Jinja from '@huggingface/jinja' with { 'resolution-mode': 'import' };
import type * as HfTokenizers from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AyaError, UsageError, errorMessage } from '../../errors';

/** A chat message as chat templates take it. */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
  readonly [key: string]: unknown;
}

/** Options of {@link Tokenizer.encodeBatch}. */
export interface BatchEncodeOptions {
  readonly addSpecialTokens?: boolean;
  /** `longest` (default) pads to the longest row, `max-length` to `maxLength`, `none` leaves rows ragged. */
  readonly padding?: 'longest' | 'max-length' | 'none';
  /** Side padding goes on (default: `padding_side` of tokenizer_config.json, else right). */
  readonly paddingSide?: 'left' | 'right';
  /** Cut rows longer than this (from `truncationSide`). */
  readonly maxLength?: number;
  readonly truncationSide?: 'left' | 'right';
}

/** Ids and masks of a batch; every row has the same length unless padding is `none`. */
export interface BatchEncoding {
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
}

// Both packages ship CommonJS builds beside their ESM ones; require keeps the core synchronous.
const { Template } = require('@huggingface/jinja') as typeof Jinja;
const { Tokenizer: HfTokenizer } = require('@huggingface/tokenizers') as typeof HfTokenizers;
type Template = InstanceType<typeof Template>;
type HfTokenizer = InstanceType<typeof HfTokenizer>;

type SpecialToken = string | { content: string } | null | undefined;

function tokenText(t: SpecialToken): string | undefined {
  if (t == null) return undefined;
  return typeof t === 'string' ? t : t.content;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AyaError(`${file}: ${errorMessage(err)}`);
  }
}

/**
 * A Hugging Face tokenizer (`tokenizer.json` + `tokenizer_config.json`) with batching,
 * padding, truncation and chat templates (`chat_template.jinja` wins over the config field).
 */
export class Tokenizer {
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly padToken?: string;
  readonly unkToken?: string;
  readonly chatTemplate?: string;
  readonly paddingSide: 'left' | 'right';
  readonly #tok: HfTokenizer;
  readonly #template?: Template;

  constructor(
    tokenizerJson: Record<string, unknown>,
    readonly config: Readonly<Record<string, unknown>>,
    chatTemplate?: string,
  ) {
    this.#tok = new HfTokenizer(tokenizerJson, config);
    this.bosToken = tokenText(config.bos_token as SpecialToken);
    this.eosToken = tokenText(config.eos_token as SpecialToken);
    this.padToken = tokenText(config.pad_token as SpecialToken);
    this.unkToken = tokenText(config.unk_token as SpecialToken);
    this.paddingSide = config.padding_side === 'left' ? 'left' : 'right';
    this.chatTemplate = chatTemplate ?? pickTemplate(config.chat_template);
    if (this.chatTemplate) this.#template = new Template(this.chatTemplate);
  }

  /** Reads `tokenizer.json`, `tokenizer_config.json` and `chat_template.jinja` from a folder. */
  static fromPretrained(dir: string): Tokenizer {
    requireModelFolder(dir);
    const tokenizerFile = join(dir, 'tokenizer.json');
    if (!existsSync(tokenizerFile)) throw new AyaError(`${dir}: no tokenizer.json (only the fast-tokenizer format is supported)`);
    const configFile = join(dir, 'tokenizer_config.json');
    const config = existsSync(configFile) ? readJson(configFile) : {};
    const templateFile = join(dir, 'chat_template.jinja');
    const template = existsSync(templateFile) ? readFileSync(templateFile, 'utf8') : undefined;
    return new Tokenizer(readJson(tokenizerFile), config, template);
  }

  get bosTokenId(): number | undefined {
    return this.bosToken === undefined ? undefined : this.tokenToId(this.bosToken);
  }
  get eosTokenId(): number | undefined {
    return this.eosToken === undefined ? undefined : this.tokenToId(this.eosToken);
  }
  get padTokenId(): number | undefined {
    return this.padToken === undefined ? undefined : this.tokenToId(this.padToken);
  }

  /** Vocabulary size including added tokens. */
  get vocabSize(): number {
    return this.#tok.get_vocab(true).size;
  }

  tokenToId(token: string): number | undefined {
    return this.#tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.#tok.id_to_token(id);
  }

  /** Token ids of `text`; special tokens (BOS…) as the post-processor adds them unless `addSpecialTokens: false`. */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.#tok.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Token strings of `text`, without special tokens. */
  tokenize(text: string): string[] {
    return this.#tok.encode(text, { add_special_tokens: false }).tokens;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.#tok.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** Encodes several texts, truncated and padded as asked. */
  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): BatchEncoding {
    const rows = texts.map((t) => this.encode(t, { addSpecialTokens: options.addSpecialTokens }));
    return this.pad(rows, options);
  }

  /** Truncates and pads id rows; the mask is 1 on real tokens. */
  pad(rows: readonly (readonly number[])[], options: BatchEncodeOptions = {}): BatchEncoding {
    const max = options.maxLength;
    const cut = rows.map((r) => (max !== undefined && r.length > max ? (options.truncationSide === 'left' ? r.slice(r.length - max) : r.slice(0, max)) : [...r]));
    const padding = options.padding ?? 'longest';
    if (padding === 'none') return { inputIds: cut, attentionMask: cut.map((r) => r.map(() => 1)) };
    if (padding === 'max-length' && max === undefined) throw new UsageError("padding 'max-length' needs maxLength");
    const length = padding === 'max-length' ? max! : Math.max(0, ...cut.map((r) => r.length));
    const padId = this.padTokenId;
    if (padId === undefined && cut.some((r) => r.length < length)) {
      throw new UsageError('this tokenizer has no pad_token in tokenizer_config.json; set one to pad batches');
    }
    const left = (options.paddingSide ?? this.paddingSide) === 'left';
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    for (const r of cut) {
      const fill = length - r.length;
      const pads = Array.from({ length: fill }, () => padId!);
      const zeros = Array.from({ length: fill }, () => 0);
      const ones = r.map(() => 1);
      inputIds.push(left ? [...pads, ...r] : [...r, ...pads]);
      attentionMask.push(left ? [...zeros, ...ones] : [...ones, ...zeros]);
    }
    return { inputIds, attentionMask };
  }

  /**
   * Renders messages with the chat template. With `tokenize: true`, the rendered text is
   * encoded without adding special tokens again (the template already wrote BOS).
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean; tokenize: true }): number[];
  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean; tokenize?: false }): string;
  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean; tokenize?: boolean } = {}): string | number[] {
    if (!this.#template) throw new UsageError('this tokenizer has no chat template (chat_template.jinja or tokenizer_config.json chat_template)');
    const text = this.#template.render({
      messages: messages as unknown as Record<string, unknown>[],
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
      pad_token: this.padToken ?? '',
      unk_token: this.unkToken ?? '',
    });
    return options.tokenize ? this.encode(text, { addSpecialTokens: false }) : text;
  }
}

function pickTemplate(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name: string; template: string }[];
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}
