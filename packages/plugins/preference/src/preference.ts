import {
  DataFilesSchema,
  defineLoopTrainer,
  prepareAdapter,
  batchTensors,
  completionSequence,
  padBatch,
  trainAndHeldOut,
  readTrainingRows,
  loadPretrained,
  meansByLanguage,
  pairLogprobs,
  pairwiseInputs,
  referenceLogprobsFrom,
  resolveInput,
  tf,
  Tokenizer,
  tokenizePromptCompletion,
  TrainingConfigSchema,
  UsageError,
  z,
  type CompletionPair,
} from '@aya-fw/core';
import { resolve } from 'node:path';

/** Options of the `preference` trainer. */
export const PreferenceConfigSchema = TrainingConfigSchema.extend({
  model: z.string().describe('Policy model folder, or `stage:<name>`.'),
  reference: z.string().optional().describe('Frozen reference model (default: the policy\'s starting weights).'),
  data: DataFilesSchema.describe('Preference data (chosen/rejected, explicit or implicit prompt).'),
  loss: z.string().default('dpo').describe('Any registered loss whose inputKind is `pairwise`: `dpo`, `ipo`, `copg`, or a plugin\'s (default dpo).'),
  lossConfig: z.record(z.string(), z.unknown()).default({}).describe('Options of the loss (β, τ, reduction…), validated by its schema.'),
  rewardColumns: z.tuple([z.string(), z.string()]).default(['chosen_reward', 'rejected_reward']).describe('Columns holding the scalar rewards of the chosen and rejected completions (for CoPG).'),
  rewardModel: z.string().optional().describe('A reward model (an HF `*ForSequenceClassification` folder or `stage:<name>`) that scores both completions instead.'),
  cacheDir: z.string().optional().describe('Folder of the reference log-prob cache (default `.aya-fw-cache` beside the recipe or working directory).'),
  optimizerConfig: z.record(z.string(), z.unknown()).default({ learningRate: 5e-6 }).describe('Preference training\'s usual learning rates are small; so is the default.'),
}).strict();
export type PreferenceConfig = z.infer<typeof PreferenceConfigSchema>;

interface Item {
  readonly pair: CompletionPair;
  readonly refChosen: number;
  readonly refRejected: number;
}

/**
 * Rewards of both completions of every pair from a reward model (`*ForSequenceClassification`,
 * one label), scoring prompt + completion as tokenized for the policy (the reward model must
 * share the policy's tokenizer).
 */
function scoreWithRewardModel(dir: string, pairs: readonly CompletionPair[], batchSize: number): CompletionPair[] {
  const rm = loadPretrained(dir, { trainable: false });
  try {
    if (rm.task !== 'sequence-classification') throw new UsageError(`${dir}: rewardModel must be a *ForSequenceClassification checkpoint`);
    const pad = rm.config.padTokenId ?? 0;
    const out: CompletionPair[] = [];
    for (let i = 0; i < pairs.length; i += batchSize) {
      const part = pairs.slice(i, i + batchSize);
      const seqs = [...part.map((p) => p.chosen), ...part.map((p) => p.rejected)].map((x) => completionSequence(x, false));
      const scores = tf.tidy(() => {
        const t = batchTensors(padBatch(seqs, pad));
        return tf.reshape(rm.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask }).logits, [-1]);
      });
      const values = Array.from(scores.dataSync());
      scores.dispose();
      part.forEach((p, k) => out.push({ ...p, rewards: [values[k], values[part.length + k]] }));
    }
    return out;
  } finally {
    rm.dispose();
  }
}

/**
 * `preference`: offline preference optimisation with any pairwise loss from the loss registry.
 * Reference log-probs are computed once (and cached on disk); each step runs the policy on
 * both completions of every pair and hands the per-sequence log-likelihoods to the loss.
 */
export const preferenceTrainer = defineLoopTrainer<PreferenceConfig, Item>({
  id: 'preference',
  description: 'Offline preference training with any pairwise loss (dpo, ipo, copg, …); cached reference log-probs',
  configSchema: PreferenceConfigSchema,
  inputKind: 'pairwise',
  async setup(ctx, loss) {
    const c = ctx.config;
    const modelDir = resolveInput(ctx, c.model, 'model');
    const referenceDir = c.reference ? resolveInput(ctx, c.reference, 'model') : modelDir;
    const tokenizer = Tokenizer.fromPretrained(modelDir);
    const opts = { maxLength: c.maxLength, maxPromptLength: c.maxPromptLength };
    const read = async (file: string) => {
      return (await readTrainingRows(ctx, file, ['preference'], c)).map(({ example, row, where }): CompletionPair => {
        const e = example as Extract<typeof example, { kind: 'preference' }>;
        const [rc, rr] = c.rewardColumns.map((k) => row[k]);
        return {
          chosen: tokenizePromptCompletion(tokenizer, e.prompt, e.chosen, where, opts),
          rejected: tokenizePromptCompletion(tokenizer, e.prompt, e.rejected, where, opts),
          rewards: typeof rc === 'number' && typeof rr === 'number' ? [rc, rr] : undefined,
          row,
          where,
        };
      });
    };
    let split = await trainAndHeldOut(ctx, c, read);
    if (c.rewardModel) {
      const scored = scoreWithRewardModel(resolveInput(ctx, c.rewardModel, 'model'), [...split.train, ...split.held], c.batchSize);
      split = { train: scored.slice(0, split.train.length), held: scored.slice(split.train.length) };
    }

    const pairs = [...split.train, ...split.held];
    const ref = referenceLogprobsFrom(referenceDir, tokenizer, pairs, { batchSize: c.batchSize, cacheDir: resolve(ctx.baseDir, c.cacheDir ?? '.aya-fw-cache') });
    const padId = ref.padId;
    ctx.reporter.info(`${ctx.stage}: reference log-probs of ${pairs.length} pairs ${ref.cached ? 'read from the cache' : 'computed and cached'}`);
    const items = pairs.map((pair, i): Item => ({ pair, refChosen: ref.chosen[i], refRejected: ref.rejected[i] }));

    const model = loadPretrained(modelDir);
    prepareAdapter(ctx.engine, model, c.adapter, ctx.stage);
    const refs = (batch: readonly Item[]) => ({ chosen: batch.map((b) => b.refChosen), rejected: batch.map((b) => b.refRejected) });
    return {
      model,
      train: items.slice(0, split.train.length),
      held: items.slice(split.train.length),
      loss: (batch) => loss.compute(pairwiseInputs(pairLogprobs(model, batch.map((b) => b.pair), padId), refs(batch), batch.map((b) => b.pair))),
      tokens: (batch) => batch.reduce((n, b) => n + b.pair.chosen.completionIds.length + b.pair.rejected.completionIds.length, 0),
      evalValues: (batch) => {
        const p = pairLogprobs(model, batch.map((b) => b.pair), padId);
        const r = refs(batch);
        return tf.sub(tf.sub(p.chosen, tf.tensor1d(r.chosen)), tf.sub(p.rejected, tf.tensor1d(r.rejected))) as tf.Tensor1D;
      },
      evalMetrics: (held, margins) => ({
        ...meansByLanguage(held.map((h, i) => ({ h, margin: margins[i] })), (r) => (r.margin > 0 ? 1 : 0), (r) => r.h.pair.row.language, 'accuracy'),
        margin: margins.reduce((a, b) => a + b, 0) / margins.length,
      }),
    };
  },
});
