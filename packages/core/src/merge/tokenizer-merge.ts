import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError, errorMessage } from '../errors';

/** Where a token's embedding comes from when a model lacks it, or always with `force` (mergekit's `TokenEmbeddingConfig`). */
const TokenSourceSchema = z.union([
  z.string(),
  z.object({ kind: z.literal('zero') }).strict(),
  z.object({ kind: z.literal('model_token'), model: z.string(), token_id: z.number().int().nonnegative().optional(), token: z.string().optional() }).strict(),
]);

/** mergekit's `tokenizer:` section. */
export const TokenizerSectionSchema = z
  .object({
    source: z.string().default('union'),
    tokens: z.record(z.string(), z.object({ source: TokenSourceSchema.optional(), force: z.boolean().default(false) }).strict()).optional(),
    pad_to_multiple_of: z.number().int().positive().optional(),
  })
  .strict();
export type TokenizerSection = z.infer<typeof TokenizerSectionSchema>;

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
  [key: string]: unknown;
}

/** A model's vocabulary as its tokenizer.json holds it, limited to the ids its embeddings have. */
export interface ModelVocab {
  readonly dir: string;
  /** token → id, added tokens included. */
  readonly ids: ReadonlyMap<string, number>;
  /** Added tokens (content → entry). */
  readonly added: ReadonlyMap<string, AddedToken>;
  readonly json: Record<string, unknown>;
  /** Regular tokens left out for having no embedding row. */
  readonly beyond: number;
}

/** Reads a folder's tokenizer.json; tokens at ids ≥ `vocabSize` (padding tokens without embeddings) are left out. */
export function readVocab(dir: string, vocabSize: number, label: string): ModelVocab {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) throw new UsageError(`${label}: ${dir} has no tokenizer.json, which a tokenizer merge needs`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: ${errorMessage(err)}`);
  }
  const model = json.model as { type?: string; vocab?: unknown } | undefined;
  const ids = new Map<string, number>();
  let beyond = 0;
  if (model?.vocab && typeof model.vocab === 'object' && !Array.isArray(model.vocab)) {
    for (const [tok, id] of Object.entries(model.vocab as Record<string, number>)) {
      if (id < vocabSize) ids.set(tok, id);
      else beyond++;
    }
  } else if (Array.isArray(model?.vocab)) {
    (model!.vocab as [string, number][]).forEach(([tok], id) => (id < vocabSize ? ids.set(tok, id) : beyond++));
  } else {
    throw new UsageError(`${file}: model.vocab: expected the token table of a BPE, WordPiece or Unigram tokenizer`);
  }
  if (beyond > 0 && model?.type !== 'BPE') throw new UsageError(`${file}: ${beyond} tokens have ids past the model's vocab_size ${vocabSize}; only a BPE tokenizer can be stripped of them (as mergekit does)`);
  const added = new Map<string, AddedToken>();
  for (const entry of (json.added_tokens as AddedToken[] | undefined) ?? []) {
    if (typeof entry?.content !== 'string' || typeof entry.id !== 'number') throw new UsageError(`${file}: added_tokens: entries need content and id`);
    if (entry.id >= vocabSize) continue;
    added.set(entry.content, entry);
    ids.set(entry.content, entry.id);
  }
  return { dir, ids, added, json, beyond };
}

/**
 * mergekit's `get_stripped_tokenizer`: a BPE tokenizer without the tokens that have no embedding
 * row, and without the merges that use or make them.
 */
function stripBpe(json: Record<string, unknown>, keep: ReadonlyMap<string, number>): void {
  const model = json.model as { vocab: Record<string, number>; merges?: (string | [string, string])[] };
  model.vocab = Object.fromEntries(Object.entries(model.vocab).filter(([tok, id]) => keep.get(tok) === id));
  model.merges = (model.merges ?? []).filter((m) => {
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    return a in model.vocab && b in model.vocab && a + b in model.vocab;
  });
}

/** The output vocabulary of a merge and how each input model's embedding rows map onto it. */
export interface TokenizerPlan {
  /** token → output id. */
  readonly vocab: ReadonlyMap<string, number>;
  /** Rows of the output embeddings (the vocabulary, padded to `pad_to_multiple_of`). */
  readonly rows: number;
  /** The output tokenizer.json, when it differs from the source folder's (a union). */
  readonly tokenizerJson?: Record<string, unknown>;
  /** Folder whose tokenizer files the output takes. */
  readonly dir: string;
  /** Per model folder: output id → that model's id, or −1. */
  readonly permutations: ReadonlyMap<string, Int32Array>;
  readonly tokens: Readonly<Record<string, { source?: z.infer<typeof TokenSourceSchema>; force: boolean }>>;
  readonly baseDir?: string;
  readonly vocabs: ReadonlyMap<string, ModelVocab>;
  /** What was assumed (models without a tokenizer), one line each. */
  readonly warnings: readonly string[];
}

/**
 * mergekit's `build_tokenizer`: the output tokenizer is the base's (`base`), a model's (a
 * folder), or the base's with every other token any model has appended as an added token
 * (`union`: first the models' regular tokens missing from the base, then their added tokens,
 * first settings win; here in config order, base first); then the `tokens:` names are added.
 */
export function planTokenizer(
  source: string,
  models: readonly { dir: string; label: string; vocabSize: number }[],
  baseDir: string,
  resolveRef: (ref: string) => string,
  section: Pick<TokenizerSection, 'tokens' | 'pad_to_multiple_of'>,
): TokenizerPlan {
  const vocabs = new Map<string, ModelVocab>();
  const warnings: string[] = [];
  const first = models.find((m) => m.dir === baseDir)!;
  const base = readVocab(first.dir, first.vocabSize, first.label);
  vocabs.set(baseDir, base);
  for (const m of models) {
    if (vocabs.has(m.dir)) continue;
    // As mergekit: a model without a tokenizer is taken to share the base's.
    if (!existsSync(join(m.dir, 'tokenizer.json'))) {
      warnings.push(`${m.label}: no tokenizer.json; taken to have the base model's vocabulary (as mergekit does)`);
      vocabs.set(m.dir, { ...base, dir: m.dir });
    } else vocabs.set(m.dir, readVocab(m.dir, m.vocabSize, m.label));
  }
  let out: ModelVocab;
  let tokenizerJson: Record<string, unknown> | undefined;
  if (source === 'union' || source === 'base') {
    out = base;
  } else {
    const dir = resolveRef(source);
    out = vocabs.get(dir) ?? readVocab(dir, Infinity, `tokenizer source (${source})`);
  }
  const vocab = new Map(out.ids);
  const appended: AddedToken[] = [];
  let next = Math.max(-1, ...vocab.values()) + 1;
  const append = (token: AddedToken | string) => {
    const content = typeof token === 'string' ? token : token.content;
    if (vocab.has(content)) return;
    const entry: AddedToken =
      typeof token === 'string'
        ? { id: next, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: false }
        : { ...token, id: next };
    vocab.set(content, next++);
    appended.push(entry);
  };
  if (source === 'union') {
    const ordered = [base, ...[...vocabs.values()].filter((v) => v !== base)];
    for (const v of ordered) for (const tok of v.ids.keys()) if (!v.added.has(tok)) append(tok);
    for (const v of ordered) for (const entry of v.added.values()) append(entry);
  }
  for (const tok of Object.keys(section.tokens ?? {})) append(tok);
  const ownAdded = (out.json.added_tokens as AddedToken[] | undefined) ?? [];
  // Added tokens past the embeddings (padding such as <UNUSED_0>) are dropped, as mergekit strips them.
  const kept = ownAdded.filter((e) => out.ids.get(e.content) === e.id);
  if (appended.length || kept.length < ownAdded.length || out.beyond > 0) {
    const json = structuredClone(out.json);
    json.added_tokens = [...kept, ...appended];
    if (out.beyond > 0) stripBpe(json, out.ids);
    tokenizerJson = json;
  }
  const pad = section.pad_to_multiple_of;
  const size = vocab.size;
  const rows = pad && size % pad ? (Math.floor(size / pad) + 1) * pad : size;
  const permutations = new Map<string, Int32Array>();
  for (const [dir, v] of vocabs) {
    const p = new Int32Array(size).fill(-1);
    for (const [tok, id] of vocab) {
      const own = v.ids.get(tok);
      if (own !== undefined && id < size) p[id] = own;
    }
    permutations.set(dir, p);
  }
  return { vocab, rows, tokenizerJson, dir: out.dir, permutations, tokens: section.tokens ?? {}, baseDir, vocabs, warnings };
}

/**
 * mergekit's `PermutedEmbeddings`: each model's embedding rows in the output vocabulary. A token
 * a model lacks takes, in order: its `tokens:` setting; the only model that has it; the base's
 * row; the mean over the models that have it; zeros when none has it. Padding rows are the mean
 * of the real ones. `inputs` are the models' whole [V, D] tensors, keyed by folder.
 */
export function permuteEmbeddings(plan: TokenizerPlan, dirs: readonly string[], inputs: readonly Float32Array[], dim: number, resolveRef: (ref: string) => string, name: string): Float32Array[] {
  const { vocab, rows, permutations } = plan;
  const models = [...new Set(dirs)];
  // A folder read twice (a model and the same model with a LoRA) donates its first reading's rows.
  const tensorOf = (dir: string) => inputs[dirs.indexOf(dir)];
  const row = (dir: string, id: number, tensor = tensorOf(dir)) => tensor.subarray(id * dim, (id + 1) * dim);
  const defaults = new Map<number, Float32Array>();
  for (const [tok, id] of vocab) {
    const setting = plan.tokens[tok];
    const have = models.filter((d) => permutations.get(d)![id] >= 0);
    let embed: Float32Array | undefined;
    const source = setting?.source;
    if (source !== undefined) {
      if (typeof source === 'string') {
        const dir = resolveRef(source);
        if (!permutations.has(dir)) throw new UsageError(`tokenizer.tokens.${tok}: source ${source} is not one of the merged models`);
        const own = permutations.get(dir)![id];
        if (own < 0) throw new UsageError(`tokenizer.tokens.${tok}: model ${source} has no token ${JSON.stringify(tok)}`);
        embed = row(dir, own);
      } else if (source.kind === 'zero') {
        embed = new Float32Array(dim);
      } else {
        const dir = resolveRef(source.model);
        if (!permutations.has(dir)) throw new UsageError(`tokenizer.tokens.${tok}: model ${source.model} is not one of the merged models`);
        const src = source.token_id ?? (source.token !== undefined ? plan.vocabs.get(dir)!.ids.get(source.token) : undefined);
        if (src === undefined) throw new UsageError(`tokenizer.tokens.${tok}: give token_id or a token that ${source.model} has`);
        if (src * dim >= tensorOf(dir).length) throw new UsageError(`tokenizer.tokens.${tok}: token id ${src} is outside ${source.model}'s ${name}`);
        embed = row(dir, src);
      }
    } else if (have.length === 1) {
      embed = row(have[0], permutations.get(have[0])![id]);
    } else if (have.length === 0) {
      embed = new Float32Array(dim);
    } else if (plan.baseDir && have.includes(plan.baseDir)) {
      embed = row(plan.baseDir, permutations.get(plan.baseDir)![id]);
    } else {
      embed = new Float32Array(dim);
      for (const d of have) {
        const r = row(d, permutations.get(d)![id]);
        for (let k = 0; k < dim; k++) embed[k] += r[k];
      }
      for (let k = 0; k < dim; k++) embed[k] /= have.length;
    }
    defaults.set(id, embed);
  }
  return dirs.map((dir, k) => {
    const p = permutations.get(dir)!;
    const out = new Float32Array(rows * dim);
    for (const [tok, id] of vocab) {
      const own = p[id];
      const src = own >= 0 && !plan.tokens[tok]?.force ? row(dir, own, inputs[k]) : defaults.get(id)!;
      out.set(src, id * dim);
    }
    if (rows > vocab.size) {
      const mean = new Float32Array(dim);
      for (let i = 0; i < vocab.size; i++) for (let k = 0; k < dim; k++) mean[k] += out[i * dim + k];
      for (let k = 0; k < dim; k++) mean[k] /= vocab.size;
      for (let i = vocab.size; i < rows; i++) out.set(mean, i * dim);
    }
    return out;
  });
}

/** Writes the union's tokenizer.json and its added tokens into tokenizer_config.json's `added_tokens_decoder`. */
export function writeMergedTokenizer(dir: string, plan: TokenizerPlan): void {
  if (!plan.tokenizerJson) return;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(plan.tokenizerJson, null, 2) + '\n');
  const configFile = join(dir, 'tokenizer_config.json');
  if (!existsSync(configFile)) return;
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  if (config.added_tokens_decoder && typeof config.added_tokens_decoder === 'object') {
    const decoder = { ...(config.added_tokens_decoder as Record<string, unknown>) };
    for (const e of plan.tokenizerJson.added_tokens as AddedToken[]) {
      const { id, ...rest } = e;
      decoder[String(id)] ??= rest;
    }
    config.added_tokens_decoder = decoder;
    writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  }
}
