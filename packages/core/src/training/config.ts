import { z } from 'zod';
import type { ContributionUse } from '../registry/contributions';
import { SAVE_DTYPES } from '../hf/models/save';
import { ScheduleSchema } from './schedule';
import { AdapterSpecSchema } from '../adapters/prepare-adapter';

/** Options every trainer built on the training loop takes (`with:` of a recipe stage, `--config`). */
export const TrainingConfigSchema = z
  .object({
    optimizer: z.string().default('adamw').describe('Optimizer id in the optimizer registry (default adamw).'),
    optimizerConfig: z.record(z.string(), z.unknown()).default({}).describe('The optimizer\'s options, validated by its schema (learningRate, weightDecay…).'),
    schedule: ScheduleSchema.default({ type: 'constant', warmupSteps: 0 }).describe('Learning-rate schedule: { type: constant | linear | cosine, warmupSteps | warmupRatio }.'),
    epochs: z.number().int().positive().default(1).describe('Passes over the training data (default 1); `maxSteps` wins when given.'),
    maxSteps: z.number().int().positive().optional().describe('Optimizer updates to run (instead of epochs).'),
    batchSize: z.number().int().positive().default(8).describe('Rows per micro-batch (default 8).'),
    gradientAccumulation: z.number().int().positive().default(1).describe('Micro-batches per optimizer update (default 1).'),
    maxGradNorm: z.number().min(0).default(1).describe('Clip gradients to this global L2 norm (default 1, as transformers\' Trainer); 0 disables.'),
    checkpointEvery: z.number().int().nonnegative().default(0).describe('Write a checkpoint every N updates (0: only at the end).'),
    saveTotalLimit: z.number().int().nonnegative().default(3).describe('Keep only the newest N checkpoints (transformers\' save_total_limit; 0 keeps all).'),
    evalEvery: z.number().int().nonnegative().default(0).describe('Evaluate on the held-out split every N updates (0: only at the end).'),
    evalSplit: z.number().min(0).lt(1).default(0.1).describe('Share of the rows held out for evaluation when no evalData is given (default 0.1).'),
    evalData: z.string().optional().describe('Held-out data file (instead of a split).'),
    logEvery: z.number().int().positive().default(1).describe('Log metrics every N updates (default 1).'),
    saveDtype: z.enum(Object.keys(SAVE_DTYPES) as [keyof typeof SAVE_DTYPES]).default('float32').describe('Dtype of the saved model (default float32).'),
    maxLength: z.number().int().positive().default(512).describe('Longest tokenized sequence (default 512).'),
    maxPromptLength: z.number().int().positive().optional().describe('Longest prompt before truncation (default: no limit beyond maxLength).'),
    skipBadRows: z.boolean().default(false).describe('Count malformed rows instead of failing on the first.'),
    languages: z.array(z.string()).min(1).optional().describe('Train (and evaluate) on the rows whose `language` column is one of these only: a language-cluster run.'),
    adapter: AdapterSpecSchema.optional().describe('Train an adapter instead of the full model: `{ type: lora | ia3, …its options }` (the base is frozen).'),
  })
  .strict();
export type TrainingConfig = z.infer<typeof TrainingConfigSchema>;

/** The optimizer and adapter a loop trainer's options name, for validation before a recipe runs. */
export function trainingContributions(config: Pick<TrainingConfig, 'optimizer' | 'optimizerConfig' | 'adapter'>): ContributionUse[] {
  const uses: ContributionUse[] = [{ kind: 'optimizers', id: config.optimizer, idPath: ['optimizer'], config: config.optimizerConfig, configPath: ['optimizerConfig'] }];
  if (config.adapter) {
    const { type, ...options } = config.adapter;
    uses.push({ kind: 'adapters', id: type, idPath: ['adapter', 'type'], config: options });
  }
  return uses;
}

/** A `loss` / `lossConfig` pair of a trainer's options that feeds `inputKind` inputs, for validation before a recipe runs. */
export function lossContribution(config: { readonly loss: string; readonly lossConfig?: unknown }, inputKind: string): ContributionUse {
  return { kind: 'losses', id: config.loss, idPath: ['loss'], config: config.lossConfig, configPath: ['lossConfig'], inputKind };
}
