import { join } from 'node:path';
import {
  inLanguages,
  readPromptRows,
  resolveInput,
  stageAnswers,
  UsageError,
  writeJsonAtomic,
  writeJsonlAtomic,
  z,
  type DataRow,
  type TrainerContext,
  type TrainerDefinition,
  type TranslationItem,
} from '@aya-fw/core';

/** Options of the `translated-pairs` stage. */
export const TranslatedPairsConfigSchema = z
  .object({
    prompts: z.string().describe('Prompt rows (`prompt`, `language`), JSONL, JSON or Parquet, or `stage:<name>/prompts`.'),
    strong: z.string().describe('The strong model, which answers each prompt in its own language (the chosen side): a folder, `stage:<name>` or a remote model.'),
    weak: z.string().describe('The weaker model, which answers the prompt translated into the pivot language (the rejected side, translated back).'),
    translator: z.string().describe('Translator id (a `translators` contribution) and its options.'),
    translatorConfig: z.unknown().optional(),
    pivotLanguage: z.string().default('en').describe('The language the weaker model is asked in (the paper: English).'),
    languages: z.array(z.string()).min(1).optional().describe('Keep only prompts in these languages.'),
    maxNewTokens: z.number().int().positive().default(64),
    batchSize: z.number().int().positive().default(32).describe('Prompts decoded together.'),
  })
  .strict();
export type TranslatedPairsConfig = z.infer<typeof TranslatedPairsConfigSchema>;

/** Pairs and dropped prompts of one language. */
interface LanguageCounts {
  pairs: number;
  /** Chosen and rejected were the same text. */
  identical: number;
  /** The translator gave no translation of the prompt or of the answer. */
  untranslated: number;
}

/**
 * `translated-pairs`: multilingual preference pairs the "RLHF Can Speak Many Languages" way. The
 * chosen completion is the strong model's answer in the prompt's language; the rejected one is
 * the weaker model's answer to the prompt translated into the pivot language, translated back
 * (it carries the translator's artifacts). Prompts in the pivot language get the weaker model's
 * answer as it is. Writes `pairs.jsonl` (the prompt row, `chosen`, `rejected`, `pivot_prompt`,
 * `pivot_rejected`) and `summary.json` with pair counts per language.
 */
export const translatedPairs: TrainerDefinition<TranslatedPairsConfig> = {
  id: 'translated-pairs',
  description: 'Multilingual preference pairs: a strong model in-language (chosen) against a weaker one through translation (rejected)',
  configSchema: TranslatedPairsConfigSchema,
  contributions: (c) => [{ kind: 'translators', id: c.translator, idPath: ['translator'], config: c.translatorConfig, configPath: ['translatorConfig'] }],
  async run(ctx) {
    const c = ctx.config;
    const file = resolveInput(ctx, c.prompts, 'prompts');
    const rows = inLanguages(ctx, file, await readPromptRows(ctx.engine, file), (r) => r, c.languages);
    const missing = rows.findIndex((r) => typeof r.language !== 'string');
    if (missing >= 0) throw new UsageError(`${file}: row ${missing + 1} has no 'language'; translated pairs need each prompt's language`);
    const translate = translatorOf(ctx);
    const languageOf = (r: DataRow) => String(r.language);

    const pivotPrompts = await translate(rows.map((row) => ({ text: row.prompt, from: languageOf(row), to: c.pivotLanguage, row })));
    const chosen = await stageAnswers(ctx, c.strong, rows.map((r) => r.prompt), 'strong model');
    const asked = rows.flatMap((row, i) => (pivotPrompts[i] === null ? [] : [{ i, row, prompt: pivotPrompts[i]! }]));
    const weakAnswers = await stageAnswers(ctx, c.weak, asked.map((x) => x.prompt), `weak model (${c.pivotLanguage})`);
    const back = await translate(asked.map((x, j) => ({ text: weakAnswers[j], from: c.pivotLanguage, to: languageOf(x.row), row: x.row })));

    const counts: Record<string, LanguageCounts> = {};
    for (const row of rows) counts[languageOf(row)] ??= { pairs: 0, identical: 0, untranslated: 0 };
    const rejected = new Map(asked.map((x, j) => [x.i, { pivotPrompt: x.prompt, pivotAnswer: weakAnswers[j], text: back[j] }]));
    const pairs: object[] = [];
    rows.forEach((row, i) => {
      const count = counts[languageOf(row)];
      const r = rejected.get(i);
      if (!r || r.text === null) return void count.untranslated++;
      if (r.text === chosen[i]) return void count.identical++;
      count.pairs++;
      pairs.push({ ...row, chosen: chosen[i], rejected: r.text, pivot_prompt: r.pivotPrompt, pivot_rejected: r.pivotAnswer });
    });
    if (!pairs.length) throw new UsageError(`${ctx.stage}: no pairs: every prompt's two answers were identical or untranslated`);
    const summary = { prompts: rows.length, pairs: pairs.length, pivot_language: c.pivotLanguage, translator: c.translator, languages: counts };
    const artifacts = { data: join(ctx.outDir, 'pairs.jsonl'), summary: join(ctx.outDir, 'summary.json') };
    writeJsonlAtomic(artifacts.data, pairs);
    writeJsonAtomic(artifacts.summary, summary);
    ctx.reporter.info(`${ctx.stage}: ${pairs.length} pairs of ${rows.length} prompts; ${Object.entries(counts).map(([l, n]) => `${l} ${n.pairs}`).join(', ')}`);
    const metrics: Record<string, number> = { prompts: rows.length, pairs: pairs.length };
    for (const [l, n] of Object.entries(counts)) Object.assign(metrics, { [`pairs/${l}`]: n.pairs, [`identical/${l}`]: n.identical, [`untranslated/${l}`]: n.untranslated });
    return { metrics, artifacts };
  },
};

/** The configured translator, checked to give one string or null per item. */
function translatorOf(ctx: TrainerContext<TranslatedPairsConfig>) {
  const { definition, config } = ctx.engine.configure('translators', ctx.config.translator, ctx.config.translatorConfig, `${ctx.stage}: translatorConfig`);
  // Texts already in the target language are not sent.
  return async (items: readonly TranslationItem[]): Promise<(string | null)[]> => {
    const todo = items.filter((x) => x.from !== x.to);
    const out = todo.length ? await definition.translate(todo, config) : [];
    if (!Array.isArray(out) || out.length !== todo.length) throw new UsageError(`${ctx.stage}: translator '${definition.id}' returned ${Array.isArray(out) ? out.length : typeof out} results for ${todo.length} texts`);
    out.forEach((t, i) => {
      if (t !== null && typeof t !== 'string') throw new UsageError(`${ctx.stage}: translator '${definition.id}' returned a ${typeof t} for text ${i + 1}; expected a string or null`);
    });
    let k = 0;
    return items.map((x) => (x.from === x.to ? x.text : (out[k++] as string | null)));
  };
}
