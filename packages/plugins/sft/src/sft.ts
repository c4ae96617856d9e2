import {
  DataFilesSchema,
  paddingTokenId,
  prepareAdapter,
  batchTensors,
  completionSequence,
  defineLoopTrainer,
  trainAndHeldOut,
  readTrainingRows,
  loadPretrained,
  logprobsOfTargets,
  meansByLanguage,
  pack,
  padBatch,
  resolveInput,
  tf,
  Tokenizer,
  tokenizeLanguageModeling,
  tokenizePromptCompletion,
  TrainingConfigSchema,
  z,
  type DataRow,
  type PretrainedModel,
  type TokenizedSequence,
} from '@aya-fw/core';
import type { TokenLogps } from './cross-entropy';

/** Options of the `sft` trainer. */
export const SftConfigSchema = TrainingConfigSchema.extend({
  model: z.string().describe('Model folder, or `stage:<name>` for an earlier stage\'s model.'),
  data: DataFilesSchema.describe('Training data (JSONL, JSON, Parquet): language-modelling or prompt-completion rows.'),
  completionOnly: z.boolean().default(true).describe('Loss on completion tokens only for prompt-completion rows (default true).'),
  assistantOnly: z.boolean().default(true).describe('Loss on assistant turns only for `messages` rows (default true).'),
  packing: z.boolean().default(false).describe('Concatenate sequences into rows of maxLength (default false).'),
  loss: z.string().default('cross-entropy').describe('Any registered loss whose inputKind is `token-logps` (default `cross-entropy`).'),
  lossConfig: z.record(z.string(), z.unknown()).default({}).describe('Options of the loss, validated by its schema.'),
}).strict();
export type SftConfig = z.infer<typeof SftConfigSchema>;

interface Item {
  readonly seq: TokenizedSequence;
  readonly row?: DataRow;
}

/** Per-token log-likelihoods of the targets of a batch and the loss mask (the `token-logps` loss input). */
export function tokenLogps(model: PretrainedModel, batch: readonly TokenizedSequence[], padId: number): TokenLogps {
  const t = batchTensors(padBatch(batch, padId));
  const [b, s] = t.inputIds.shape;
  const { logits } = model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask });
  const mask = tf.slice(t.lossMask, [0, 1], [b, s - 1]) as tf.Tensor2D;
  const logps = logprobsOfTargets(tf.slice(logits, [0, 0, 0], [b, s - 1, -1]) as tf.Tensor3D, tf.slice(t.inputIds, [0, 1], [b, s - 1]), mask) as tf.Tensor2D;
  return { logps, mask };
}

/** Mean cross-entropy of each sequence over its covered tokens, [b]. */
export function sequenceCrossEntropy({ logps, mask }: TokenLogps): tf.Tensor1D {
  return tf.neg(tf.div(tf.sum(logps, 1), tf.maximum(tf.sum(mask, 1), 1))) as tf.Tensor1D;
}

/** `sft`: causal-LM cross-entropy (or any `token-logps` loss) on the masked tokens, through the shared training loop. */
export const sftTrainer = defineLoopTrainer<SftConfig, Item>({
  id: 'sft',
  description: 'Supervised fine-tuning: cross-entropy on completion/assistant tokens (TRL dataset formats)',
  configSchema: SftConfigSchema,
  inputKind: 'token-logps',
  async setup(ctx, loss) {
    const c = ctx.config;
    const modelDir = resolveInput(ctx, c.model, 'model');
    const tokenizer = Tokenizer.fromPretrained(modelDir);
    const opts = { maxLength: c.maxLength, maxPromptLength: c.maxPromptLength, assistantOnly: c.assistantOnly };
    const read = async (file: string) => {
      return (await readTrainingRows(ctx, file, ['language-modeling', 'prompt-completion'], c)).map(({ example, row, where }): Item => {
        const seq =
          example.kind === 'language-modeling'
            ? tokenizeLanguageModeling(tokenizer, example.text, where, opts)
            : completionSequence(tokenizePromptCompletion(tokenizer, (example as { prompt: string }).prompt, (example as { completion: string }).completion, where, opts), c.completionOnly);
        return { seq, row };
      });
    };
    const split = await trainAndHeldOut(ctx, c, read);
    const model = loadPretrained(modelDir);
    prepareAdapter(ctx.engine, model, c.adapter, ctx.stage);
    const padId = paddingTokenId(model, tokenizer);
    const logps = (batch: readonly Item[]) => tokenLogps(model, batch.map((i) => i.seq), padId);
    return {
      model,
      train: c.packing ? pack(split.train.map((i) => i.seq), c.maxLength).map((seq) => ({ seq })) : split.train,
      held: split.held,
      loss: (batch) => loss.compute(logps(batch)),
      tokens: (batch) => batch.reduce((n, i) => n + i.seq.ids.length, 0),
      evalValues: (batch) => sequenceCrossEntropy(logps(batch)),
      evalMetrics: (held, losses) => meansByLanguage(held.map((h, i) => ({ h, loss: losses[i] })), (x) => x.loss, (x) => x.h.row?.language, 'loss'),
    };
  },
});
