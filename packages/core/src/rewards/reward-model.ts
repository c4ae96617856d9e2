import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { paddingTokenId } from '../hf/generation/special-tokens';
import { loadPretrained } from '../hf/models/load';
import type { PretrainedModel } from '../hf/models/model';
import { Tokenizer } from '../hf/tokenizer/tokenizer';
import { batchTensors, padBatch } from '../data/batch';
import type { RewardItem } from '../registry/contributions';

/**
 * A reward model folder as a reward: `logits[:, 0]` of a one-label `*ForSequenceClassification`
 * model on prompt + completion, tokenized with the reward model's own tokenizer (so it need not
 * share the policy's), in batches, without gradients. Call `dispose` when done.
 */
export class RewardModelScorer {
  readonly #model: PretrainedModel;
  readonly #tokenizer: Tokenizer;
  readonly #padId: number;

  constructor(
    readonly dir: string,
    readonly batchSize = 16,
  ) {
    this.#model = loadPretrained(dir, { trainable: false });
    if (this.#model.task !== 'sequence-classification' || this.#model.config.numLabels !== 1) {
      this.#model.dispose();
      throw new UsageError(`${dir}: a reward model must be a *ForSequenceClassification checkpoint with one label`);
    }
    this.#tokenizer = Tokenizer.fromPretrained(dir);
    this.#padId = paddingTokenId(this.#model, this.#tokenizer);
  }

  score(items: readonly RewardItem[]): number[] {
    const max = this.#model.config.maxPositions;
    const out: number[] = [];
    for (let i = 0; i < items.length; i += this.batchSize) {
      const part = items.slice(i, i + this.batchSize);
      const seqs = part.map(({ prompt, completion }) => {
        const ids = this.#tokenizer.encode(prompt + completion).slice(-max);
        return { ids, lossMask: ids.map(() => 1) };
      });
      const scores = tf.tidy(() => {
        const t = batchTensors(padBatch(seqs, this.#padId));
        return tf.reshape(this.#model.forward({ inputIds: t.inputIds, attentionMask: t.attentionMask }).logits, [-1]);
      });
      out.push(...(scores.dataSync() as Float32Array));
      scores.dispose();
    }
    return out;
  }

  dispose(): void {
    this.#model.dispose();
  }
}
