import { RewardsSchema, TrainingConfigSchema, z } from '@aya-fw/core';

/** The valid group sizes k for a generation batch: its divisors from `min` up. */
export function validGroupSizes(batch: number, min: number): number[] {
  return Array.from({ length: batch }, (_, i) => i + 1).filter((k) => k >= min && batch % k === 0);
}

/** Options every online trainer takes (REINFORCE, RLOO, GRPO). */
export const OnlineBaseSchema = TrainingConfigSchema.pick({
  optimizer: true,
  schedule: true,
  maxGradNorm: true,
  checkpointEvery: true,
  saveTotalLimit: true,
  logEvery: true,
  saveDtype: true,
  adapter: true,
}).extend({
  model: z.string().describe('Policy model folder, or `stage:<name>` (typically an SFT stage).'),
  reference: z.string().optional().describe('Frozen reference model of the KL term (default: the policy\'s starting weights).'),
  prompts: z.string().describe('Prompt rows (`prompt` plus any columns the rewards read, e.g. `language`), JSONL, JSON or Parquet.'),
  evalPrompts: z.string().optional().describe('Held-out prompt rows: the mean reward of greedy completions is reported every `evalEvery` batches and at the end.'),
  evalEvery: z.number().int().nonnegative().default(0),
  rewards: RewardsSchema.describe('What scores each completion: reward functions, reward models, judges, weighted.'),
  maxSteps: z.number().int().positive().default(100).describe('Generation batches (each followed by `numIterations` updates).'),
  generationBatchSize: z.number().int().positive().default(16).describe('Completions sampled per batch (TRL\'s generation batch); a multiple of `numGenerations`.'),
  numIterations: z.number().int().positive().default(1).describe('Gradient updates on each batch (default 1; the paper\'s RLOO uses 2, with the clipped ratio from the second).'),
  maxNewTokens: z.number().int().positive().default(32),
  temperature: z.number().positive().default(1),
  topP: z.number().gt(0).max(1).default(1),
  topK: z.number().int().nonnegative().default(0).describe('Keep the k most likely tokens when sampling (0: off).'),
  stopTokens: z.array(z.string()).default([]).describe('Extra stop tokens (besides EOS), as token strings of the policy\'s tokenizer.'),
  truncatedPenalty: z.number().min(0).default(0).describe('Subtracted from the reward of a completion cut at `maxNewTokens` (default 0: only marked).'),
  maxPromptLength: z.number().int().positive().optional().describe('Longest prompt in tokens (default: the model\'s context minus `maxNewTokens`).'),
  truncatePrompts: z.enum(['error', 'left']).default('error').describe('A longer prompt is an error (default) or keeps its last tokens (`left`).'),
  optimizerConfig: z.record(z.string(), z.unknown()).default({ learningRate: 1e-5 }).describe('Learning rates of online RL are small (TRL: 1e-6); the default is for small models.'),
  lossConfig: z.record(z.string(), z.unknown()).default({}).describe('Options of the loss, validated by its schema.'),
});

/** Refuses a group size that does not divide the generation batch, naming the valid ones (TRL's most reported GRPO error). */
export function checkGroupSize<T extends { generationBatchSize: number; numGenerations: number }>(schema: z.ZodType<T>, min: number): z.ZodType<T> {
  return schema.superRefine((c, ctx) => {
    if (c.generationBatchSize % c.numGenerations !== 0 || c.numGenerations < min) {
      ctx.addIssue({
        code: 'custom',
        path: ['numGenerations'],
        message: `${c.numGenerations} does not divide generationBatchSize ${c.generationBatchSize} into groups; valid values: ${validGroupSizes(c.generationBatchSize, min).join(', ') || `none (generationBatchSize must be at least ${min})`}`,
      });
    }
  }) as unknown as z.ZodType<T>;
}

/** `reinforce`: vanilla policy gradient or REINFORCE with a moving-average baseline; KL in the reward. */
export const ReinforceConfigSchema = checkGroupSize(
  OnlineBaseSchema.extend({
    numGenerations: z.number().int().positive().default(1).describe('Completions per prompt (default 1).'),
    baseline: z.enum(['none', 'moving-average']).default('moving-average').describe('`none`: vanilla policy gradient (A = R); `moving-average`: A = R − b, b a running mean of past rewards.'),
    baselineDecay: z.number().min(0).lt(1).default(0.9).describe('Decay of the moving average (default 0.9).'),
    beta: z.number().min(0).default(0.05).describe('β of the KL-shaped reward R = r − β·Σ_t log(π/π_ref) (default 0.05, TRL\'s RLOO).'),
    loss: z.string().default('reinforce'),
  }).strict(),
  1,
);
export type ReinforceConfig = z.infer<typeof ReinforceConfigSchema>;

/** `rloo`: k samples per prompt, leave-one-out baseline; KL in the reward. */
export const RlooConfigSchema = checkGroupSize(
  OnlineBaseSchema.extend({
    numGenerations: z.number().int().min(2).default(2).describe('k, completions per prompt (default 2, TRL\'s; the paper also uses 4).'),
    beta: z.number().min(0).default(0.05),
    normalizeAdvantages: z.boolean().default(false).describe('Standardise advantages over the batch (default false).'),
    loss: z.string().default('reinforce'),
  }).strict(),
  2,
);
export type RlooConfig = z.infer<typeof RlooConfigSchema>;

/** `grpo`: group-normalised advantages, token-level clipped ratio, KL (k3) in the loss. */
export const GrpoConfigSchema = checkGroupSize(
  OnlineBaseSchema.extend({
    numGenerations: z.number().int().min(2).default(8).describe('G, completions per prompt (default 8).'),
    scaleRewards: z.enum(['group', 'batch', 'none']).default('group').describe('Divide group-centred rewards by the std of the group (default), of the batch, or not at all (Dr. GRPO).'),
    loss: z.string().default('grpo'),
  }).strict(),
  2,
);
export type GrpoConfig = z.infer<typeof GrpoConfigSchema>;

/** Any online trainer's options. */
export type OnlineConfig = ReinforceConfig | RlooConfig | GrpoConfig;
