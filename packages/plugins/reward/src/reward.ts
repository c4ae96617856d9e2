import {
  DataFilesSchema,
  defineLoopTrainer,
  paddingTokenId,
  prepareAdapter,
  trainAndHeldOut,
  readTrainingRows,
  loadPretrained,
  padBatch,
  batchTensors,
  resolveInput,
  tf,
  Tokenizer,
  tokenizePromptCompletion,
  TrainingConfigSchema,
  z,
  meansByLanguage,
  type DataRow,
  type PretrainedModel,
  type TokenizedSequence,
} from '@aya-fw/core';
import type { RewardPairs } from './bradley-terry';

/** Options of the `reward` trainer. */
export const RewardConfigSchema = TrainingConfigSchema.extend({
  model: z.string().describe('Base model folder (a causal LM gets a new score head) or `stage:<name>`.'),
  data: DataFilesSchema.describe('Preference data: chosen/rejected with an explicit or implicit prompt; a `margin` column is used when present.'),
  margin: z.number().default(0).describe('Margin added to every pair when the data has none (default 0).'),
  loss: z.string().default('bradley-terry').describe('Any registered loss whose inputKind is `reward-pairs` (default `bradley-terry`).'),
  lossConfig: z.record(z.string(), z.unknown()).default({}),
}).strict();
export type RewardConfig = z.infer<typeof RewardConfigSchema>;

interface Pair {
  readonly chosen: TokenizedSequence;
  readonly rejected: TokenizedSequence;
  readonly margin: number;
  readonly row: DataRow;
}

/** r(chosen) and r(rejected) for a batch of pairs, [b] each. */
function scores(model: PretrainedModel, pairs: readonly Pair[], padId: number): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  const t = batchTensors(padBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId));
  const r = tf.reshape(model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask }).logits, [-1]);
  const [chosen, rejected] = tf.split(r, 2) as [tf.Tensor1D, tf.Tensor1D];
  return { chosen, rejected };
}

/** `reward`: a Bradley-Terry reward model (or any `reward-pairs` loss) on preference pairs, saved as `*ForSequenceClassification`. */
export const rewardTrainer = defineLoopTrainer<RewardConfig, Pair>({
  id: 'reward',
  description: 'Bradley-Terry reward model (−log σ(r⁺ − r⁻ − margin)), saved as an HF sequence-classification checkpoint',
  configSchema: RewardConfigSchema,
  inputKind: 'reward-pairs',
  async setup(ctx, loss) {
    const c = ctx.config;
    const modelDir = resolveInput(ctx, c.model, 'model');
    const tokenizer = Tokenizer.fromPretrained(modelDir);
    const opts = { maxLength: c.maxLength, maxPromptLength: c.maxPromptLength };
    const read = async (file: string) => {
      return (await readTrainingRows(ctx, file, ['preference'], c)).map(({ example, row, where }): Pair => {
        const e = example as Extract<typeof example, { kind: 'preference' }>;
        const full = (completion: typeof e.chosen): TokenizedSequence => {
          const ids = tokenizePromptCompletion(tokenizer, e.prompt, completion, where, opts);
          const all = [...ids.promptIds, ...ids.completionIds];
          return { ids: all, lossMask: all.map(() => 1) };
        };
        return { chosen: full(e.chosen), rejected: full(e.rejected), margin: e.margin ?? c.margin, row };
      });
    };
    const { train, held } = await trainAndHeldOut(ctx, c, read);
    const model = loadPretrained(modelDir, { newHead: { numLabels: 1, seed: ctx.seed } });
    prepareAdapter(ctx.engine, model, c.adapter, ctx.stage, ['score.weight']);
    const padId = paddingTokenId(model, tokenizer);
    return {
      model,
      train,
      held,
      loss: (pairs) => loss.compute({ ...scores(model, pairs, padId), margin: tf.tensor1d(pairs.map((p) => p.margin)) } satisfies RewardPairs),
      tokens: (batch) => batch.reduce((n, p) => n + p.chosen.ids.length + p.rejected.ids.length, 0),
      evalValues: (pairs) => {
        const s = scores(model, pairs, padId);
        return tf.cast(tf.greater(s.chosen, s.rejected), 'float32') as tf.Tensor1D;
      },
      evalMetrics: (pairs, correct) => meansByLanguage(pairs.map((p, i) => ({ p, ok: correct[i] })), (x) => x.ok, (x) => x.p.row.language, 'accuracy'),
    };
  },
});
