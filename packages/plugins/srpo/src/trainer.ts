import {
  DataFilesSchema,
  defineLoopTrainer,
  prepareAdapter,
  referenceLogprobsFrom,
  DEFAULT_REVISION_TEMPLATE,
  trainAndHeldOut,
  readTrainingRows,
  loadPretrained,
  meansByLanguage,
  pairLogprobs,
  resolveInput,
  revisionPrompt,
  tf,
  Tokenizer,
  tokenizePromptCompletion,
  TrainingConfigSchema,
  UsageError,
  z,
  type CompletionPair,
  type PairLogps,
} from '@aya-fw/core';
import { resolve } from 'node:path';
import type { SrpoLogps } from './srpo';

/** Options of the `srpo` trainer. */
export const SrpoTrainerConfigSchema = TrainingConfigSchema.extend({
  model: z.string(),
  reference: z.string().optional(),
  data: DataFilesSchema.describe('Preference data with text prompts.'),
  loss: z.string().default('srpo').describe('Any registered loss whose inputKind is `srpo` (default `srpo`).'),
  lossConfig: z.record(z.string(), z.unknown()).default({}).describe('Options of the loss (for `srpo`: β, α, reduction), validated by its schema.'),
  /** The revision prompt, with `{prompt}` and `{draft}` (also what `aya-fw generate --revisions` uses). */
  revisionTemplate: z
    .string()
    .refine((t) => t.includes('{prompt}') && t.includes('{draft}'), 'expected a template with {prompt} and {draft}')
    .default(DEFAULT_REVISION_TEMPLATE),
  cacheDir: z.string().optional(),
  optimizerConfig: z.record(z.string(), z.unknown()).default({ learningRate: 5e-6 }),
}).strict();
export type SrpoTrainerConfig = z.infer<typeof SrpoTrainerConfigSchema>;

/** The three pairs of one preference row: generation, revising y_l, revising y_w. */
interface Triple {
  readonly pairs: readonly [CompletionPair, CompletionPair, CompletionPair];
  readonly ref: readonly number[];
}

function terms(lp: PairLogps, ref: readonly number[][]): SrpoLogps {
  const split = (t: tf.Tensor1D) => tf.split(t, 3) as tf.Tensor1D[];
  const [pc, pr, cl, rl] = [lp.chosen, lp.rejected, lp.chosenLengths, lp.rejectedLengths].map(split);
  const col = (j: number) => tf.tensor1d(ref.map((r) => r[j]));
  const term = (policy: tf.Tensor1D, j: number, lengths: tf.Tensor1D) => ({ policy, reference: col(j), lengths });
  return {
    chosen: term(pc[0], 0, cl[0]),
    rejected: term(pr[0], 1, rl[0]),
    chosenFromRejected: term(pc[1], 2, cl[1]),
    rejectedFromRejected: term(pr[1], 3, rl[1]),
    chosenFromChosen: term(pc[2], 4, cl[2]),
    rejectedFromChosen: term(pr[2], 5, rl[2]),
  };
}

/**
 * `srpo`: offline SRPO. Each preference row becomes three pairs — (x → y_w, y_l), (revise y_l →
 * y_w, y_l), (revise y_w → y_w, y_l) — whose policy and cached reference log-likelihoods feed
 * the `srpo` loss (or any loss taking `srpo` inputs).
 */
export const srpoTrainer = defineLoopTrainer<SrpoTrainerConfig, Triple>({
  id: 'srpo',
  description: 'Self-Improving Robust Preference Optimization: generative and self-revision terms on preference pairs',
  configSchema: SrpoTrainerConfigSchema,
  inputKind: 'srpo',
  async setup(ctx, loss) {
    const c = ctx.config;
    const modelDir = resolveInput(ctx, c.model, 'model');
    const referenceDir = c.reference ? resolveInput(ctx, c.reference, 'model') : modelDir;
    const tokenizer = Tokenizer.fromPretrained(modelDir);
    const opts = { maxLength: c.maxLength, maxPromptLength: c.maxPromptLength };
    const read = async (file: string) => {
      return (await readTrainingRows(ctx, file, ['preference'], c)).map(({ example, row, where }) => {
        const e = example as Extract<typeof example, { kind: 'preference' }>;
        if (typeof e.prompt !== 'string' || typeof e.chosen !== 'string' || typeof e.rejected !== 'string') {
          throw new UsageError(`${where}: srpo takes text (not conversational) prompts and completions in this version`);
        }
        const pair = (prompt: string): CompletionPair => ({
          chosen: tokenizePromptCompletion(tokenizer, prompt, e.chosen as string, where, opts),
          rejected: tokenizePromptCompletion(tokenizer, prompt, e.rejected as string, where, opts),
          row,
          where,
        });
        return [pair(e.prompt), pair(revisionPrompt(c.revisionTemplate, e.prompt, e.rejected)), pair(revisionPrompt(c.revisionTemplate, e.prompt, e.chosen))] as const;
      });
    };
    const split = await trainAndHeldOut(ctx, c, read);
    const rows = [...split.train, ...split.held];
    const ref = referenceLogprobsFrom(referenceDir, tokenizer, rows.flat(), { batchSize: c.batchSize, cacheDir: resolve(ctx.baseDir, c.cacheDir ?? '.aya-fw-cache') });
    const items: Triple[] = rows.map((pairs, i) => ({
      pairs,
      ref: [0, 1, 2].flatMap((j) => [ref.chosen[3 * i + j], ref.rejected[3 * i + j]]),
    }));
    const model = loadPretrained(modelDir);
    prepareAdapter(ctx.engine, model, c.adapter, ctx.stage);
    const logps = (batch: readonly Triple[]) => {
      // One forward over 6 sequences per row: all generation pairs, then all revisions of y_l, then of y_w.
      const lp = pairLogprobs(model, [0, 1, 2].flatMap((j) => batch.map((t) => t.pairs[j])), ref.padId);
      return terms(lp, batch.map((t) => t.ref as number[]));
    };
    return {
      model,
      train: items.slice(0, split.train.length),
      held: items.slice(split.train.length),
      loss: (batch) => loss.compute(logps(batch)),
      evalValues: (batch) => {
        const x = logps(batch);
        return tf.cast(tf.greater(tf.sub(x.chosen.policy, x.chosen.reference), tf.sub(x.rejected.policy, x.rejected.reference)), 'float32') as tf.Tensor1D;
      },
      evalMetrics: (held, ok) => meansByLanguage(held.map((t, i) => ({ t, ok: ok[i] })), (x) => x.ok, (x) => x.t.pairs[0].row.language, 'accuracy'),
    };
  },
});
