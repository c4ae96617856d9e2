import {
  paddingTokenId,
  prepareAdapter,
  batchTensors,
  completionSequence,
  loopContext,
  loopTrainerResult,
  trainAndHeldOut,
  readTrainingRows,
  loadPretrained,
  logprobsOfTargets,
  meansByLanguage,
  pack,
  padBatch,
  resolveInput,
  runTrainingLoop,
  tf,
  Tokenizer,
  tokenizeLanguageModeling,
  tokenizePromptCompletion,
  TrainingConfigSchema,
  z,
  type DataRow,
  type PretrainedModel,
  type TokenizedSequence,
  type TrainerDefinition,
} from '@aya-fw/core';

/** Options of the `sft` trainer. */
export const SftConfigSchema = TrainingConfigSchema.extend({
  /** Model folder, or `stage:<name>` for an earlier stage's model. */
  model: z.string(),
  /** Training data (JSONL, JSON, Parquet): language-modelling or prompt-completion rows. */
  data: z.string(),
  /** Loss on completion tokens only for prompt-completion rows (default true). */
  completionOnly: z.boolean().default(true),
  /** Loss on assistant turns only for `messages` rows (default true). */
  assistantOnly: z.boolean().default(true),
  /** Concatenate sequences into rows of maxLength (default false). */
  packing: z.boolean().default(false),
}).strict();
export type SftConfig = z.infer<typeof SftConfigSchema>;

interface Item {
  readonly seq: TokenizedSequence;
  readonly row?: DataRow;
}

/** Mean cross-entropy over the tokens the loss mask covers, [b] per sequence and overall. */
export function maskedCrossEntropy(model: PretrainedModel, batch: readonly TokenizedSequence[], padId: number): { loss: tf.Scalar; perSequence: tf.Tensor1D } {
  const t = batchTensors(padBatch(batch, padId));
  const [b, s] = t.inputIds.shape;
  const { logits } = model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask });
  const mask = tf.slice(t.lossMask, [0, 1], [b, s - 1]) as tf.Tensor2D;
  const logps = logprobsOfTargets(tf.slice(logits, [0, 0, 0], [b, s - 1, -1]) as tf.Tensor3D, tf.slice(t.inputIds, [0, 1], [b, s - 1]), mask);
  const counts = tf.sum(mask, 1);
  const loss = tf.neg(tf.div(tf.sum(logps), tf.maximum(tf.sum(counts), 1))) as tf.Scalar;
  const perSequence = tf.neg(tf.div(tf.sum(logps, 1), tf.maximum(counts, 1))) as tf.Tensor1D;
  return { loss, perSequence };
}

/** `sft`: causal-LM cross-entropy on the masked tokens, through the shared training loop. */
export const sftTrainer: TrainerDefinition<SftConfig> = {
  id: 'sft',
  description: 'Supervised fine-tuning: cross-entropy on completion/assistant tokens (TRL dataset formats)',
  configSchema: SftConfigSchema,
  async run(ctx) {
    const c = ctx.config;
    const modelDir = resolveInput(ctx, c.model, 'model');
    const tokenizer = Tokenizer.fromPretrained(modelDir);
    const model = loadPretrained(modelDir);
    prepareAdapter(ctx.engine, model, c.adapter, ctx.stage);
    const padId = paddingTokenId(model, tokenizer);
    const opts = { maxLength: c.maxLength, maxPromptLength: c.maxPromptLength, assistantOnly: c.assistantOnly };
    const read = async (file: string) => {
      return (await readTrainingRows(ctx, file, ['language-modeling', 'prompt-completion'], c.skipBadRows)).map(({ example, row, where }): Item => {
        const seq =
          example.kind === 'language-modeling'
            ? tokenizeLanguageModeling(tokenizer, example.text, where, opts)
            : completionSequence(tokenizePromptCompletion(tokenizer, (example as { prompt: string }).prompt, (example as { completion: string }).completion, where, opts), c.completionOnly);
        return { seq, row };
      });
    };
    const split = await trainAndHeldOut(ctx, c, read);
    const train: Item[] = c.packing ? pack(split.train.map((i) => i.seq), c.maxLength).map((seq) => ({ seq })) : split.train;
    const held = split.held;
    try {
      const result = await runTrainingLoop<Item>({
        ...loopContext(ctx),
        model,
        config: c,
        items: train,
        loss: (batch) => ({ loss: maskedCrossEntropy(model, batch.map((i) => i.seq), padId).loss }),
        tokens: (batch) => batch.reduce((n, i) => n + i.seq.ids.length, 0),
        evaluate: held.length
          ? () => {
              const losses: number[] = [];
              for (let i = 0; i < held.length; i += c.batchSize) {
                const part = held.slice(i, i + c.batchSize);
                const per = tf.tidy(() => maskedCrossEntropy(model, part.map((x) => x.seq), padId).perSequence);
                losses.push(...(per.dataSync() as Float32Array));
                per.dispose();
              }
              return meansByLanguage(held.map((h, i) => ({ h, loss: losses[i] })), (x) => x.loss, (x) => x.h.row?.language, 'loss');
            }
          : undefined,
      });
      return loopTrainerResult(result, ctx.outDir);
    } finally {
      model.dispose();
    }
  },
};
