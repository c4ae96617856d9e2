import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  greedyTexts,
  inLanguages,
  mixSeed,
  openTextGenerator,
  readPromptRows,
  resolveInput,
  rewardContributions,
  Rewards,
  RewardsSchema,
  UsageError,
  writeJsonAtomic,
  writeJsonlAtomic,
  z,
  type DataRow,
  type TrainerContext,
  type TrainerDefinition,
} from '@aya-fw/core';
import { preferenceTrainer, PreferenceConfigSchema } from './preference';

/** Options of the `online-dpo` trainer: the preference trainer's, without a fixed dataset, plus the sampling loop's. */
export const OnlineDpoConfigSchema = PreferenceConfigSchema.omit({ data: true, reference: true, rewardColumns: true, rewardModel: true, adapter: true, evalData: true })
  .extend({
    prompts: z.string().describe('Prompt rows (`prompt` plus the columns the rewards read), JSONL, JSON or Parquet, or `stage:<name>/prompts`.'),
    evalPrompts: z.string().optional().describe('Held-out prompts for the win-rate of each iteration against the previous one (default: `prompts`).'),
    rewards: RewardsSchema.describe('Rewards that rank each prompt\'s samples (the online-RL trainers\' contract).'),
    iterations: z.number().int().positive().default(3).describe('Iterations of sample → rank → train (Aya Expanse: 3).'),
    samples: z.number().int().min(2).default(4).describe('Completions sampled per prompt from the current policy (TRL\'s OnlineDPOTrainer: 2).'),
    temperature: z.number().positive().default(0.9),
    topP: z.number().gt(0).max(1).default(1),
    maxNewTokens: z.number().int().positive().default(64),
    generationBatchSize: z.number().int().positive().default(32).describe('Prompts per generation batch.'),
    referenceModel: z.enum(['initial', 'previous']).default('initial').describe('The frozen reference of each iteration: the `initial` model or the `previous` iteration\'s.'),
    beta: z.union([z.number().positive(), z.array(z.number().positive()).min(1)]).optional().describe('β of the loss, one for every iteration or one per iteration (TRL\'s per-epoch list); sets `lossConfig.beta`.'),
  })
  .strict();
export type OnlineDpoConfig = z.infer<typeof OnlineDpoConfigSchema>;

/** What one iteration recorded (its `iteration.json`, written when it is complete). */
interface IterationRecord {
  readonly iteration: number;
  /** The policy it sampled from and started training from. */
  readonly policy: string;
  readonly reference: string;
  readonly model: string;
  readonly metrics: Record<string, number>;
}

/** Best against worst of each prompt's samples by total reward; equal (or unscored) ends are a tie, dropped. */
export function bestWorstPairs(rows: readonly DataRow[], texts: readonly (readonly string[])[], rewards: readonly (readonly (number | null)[])[]) {
  const pairs: object[] = [];
  let ties = 0;
  rows.forEach((row, i) => {
    const scored = texts[i].map((text, k) => ({ text, r: rewards[i][k] })).filter((x): x is { text: string; r: number } => x.r !== null);
    if (scored.length < 2) return void ties++;
    const best = scored.reduce((a, b) => (b.r > a.r ? b : a));
    const worst = scored.reduce((a, b) => (b.r < a.r ? b : a));
    if (best.r === worst.r) return void ties++;
    pairs.push({ ...row, chosen: best.text, rejected: worst.text, chosen_reward: best.r, rejected_reward: worst.r });
  });
  return { pairs, ties };
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/**
 * `online-dpo`: online iterative DPO (the Aya Expanse recipe's third stage). Each iteration
 * samples `samples` completions per prompt from the current policy, scores them with the
 * rewards, pairs best against worst (ties dropped and counted), trains the pairwise loss on the
 * pairs with the `preference` trainer, and starts the next iteration from the result. Each
 * iteration's pairs and model land in `iteration-<i>/`; a complete iteration is skipped on
 * resume and a killed one resumes from its sampled pairs and its training checkpoints.
 */
export const onlineDpo: TrainerDefinition<OnlineDpoConfig> = {
  id: 'online-dpo',
  description: 'Online iterative DPO: sample k per prompt from the current policy, pair best/worst by reward, train, repeat',
  configSchema: OnlineDpoConfigSchema,
  contributions: (c) => [
    ...(preferenceTrainer.contributions?.(PreferenceConfigSchema.parse({ ...withoutLoop(c), data: 'pairs.jsonl' })) ?? []),
    ...rewardContributions(c.rewards),
  ],
  async run(ctx) {
    const c = ctx.config;
    if (Array.isArray(c.beta) && c.beta.length !== 1 && c.beta.length !== c.iterations) {
      throw new UsageError(`${ctx.stage}: beta: ${c.beta.length} values for ${c.iterations} iterations; give one, or one per iteration`);
    }
    const initial = resolveInput(ctx, c.model, 'model');
    const readPrompts = async (ref: string, artifact: string) => {
      const file = resolveInput(ctx, ref, artifact);
      return inLanguages(ctx, file, await readPromptRows(ctx.engine, file), (r) => r, c.languages);
    };
    const rows = await readPrompts(c.prompts, 'prompts');
    const evalRows = c.evalPrompts ? await readPrompts(c.evalPrompts, 'eval') : rows;
    const rewards = Rewards.create(ctx.engine, c.rewards, (path) => resolveInput(ctx, path, 'model'));
    const log = join(ctx.outDir, 'iterations.jsonl');
    const records: IterationRecord[] = [];
    try {
      const evalScores = async (model: string) => {
        const generator = openTextGenerator(model, { batchSize: c.generationBatchSize });
        try {
          const texts = await greedyTexts(generator, evalRows.map((r) => r.prompt), c.maxNewTokens);
          const { total } = await rewards.score(evalRows.map((row, i) => ({ prompt: row.prompt, completion: texts[i], row })), (i) => `eval prompt ${i + 1}`);
          return total;
        } finally {
          generator.dispose();
        }
      };
      // The held-out rewards of the policy an iteration starts from (computed when first needed, so a resume skips them).
      let previous: { model: string; scores: readonly (number | null)[] } | undefined;
      // The log of the complete iterations, rewritten whole after each (a kill between `iteration.json` and the log loses no line on resume).
      const writeLog = () => writeJsonlAtomic(log, records.map((r) => ({ iteration: r.iteration, ...r.metrics })));
      for (let iteration = 1; iteration <= c.iterations; iteration++) {
        const dir = join(ctx.outDir, `iteration-${iteration}`);
        const done = join(dir, 'iteration.json');
        const policy = records.length ? records[records.length - 1].model : initial;
        if (ctx.resume && existsSync(done)) {
          records.push(JSON.parse(readFileSync(done, 'utf8')));
          writeLog();
          ctx.reporter.info(`${ctx.stage}: iteration ${iteration} is complete; resuming after it`);
          continue;
        }
        mkdirSync(dir, { recursive: true });
        if (previous?.model !== policy) previous = { model: policy, scores: await evalScores(policy) };
        const previousScores = previous.scores;
        const sampled = await sampleIterationPairs(ctx, policy, rows, rewards, iteration, join(dir, 'pairs.jsonl'));
        if (!sampled.pairs) throw new UsageError(`${ctx.stage}: iteration ${iteration}: every prompt's samples tie on the rewards; nothing to train on`);
        const reference = c.referenceModel === 'previous' ? policy : initial;
        const beta = Array.isArray(c.beta) ? c.beta[c.beta.length === 1 ? 0 : iteration - 1] : c.beta;
        const config = PreferenceConfigSchema.parse({
          ...withoutLoop(c),
          model: policy,
          reference,
          data: join(dir, 'pairs.jsonl'),
          // The pairs come from prompts already kept by `languages`.
          languages: undefined,
          lossConfig: beta === undefined ? c.lossConfig : { ...c.lossConfig, beta },
        });
        const trained = await preferenceTrainer.run({ ...ctx, config, stage: `${ctx.stage}/iteration-${iteration}`, outDir: dir });
        const model = trained.artifacts!.model;
        const scores = await evalScores(model);
        const battles = scores.flatMap((s, i) => (s === null || previousScores[i] === null ? [] : [s > previousScores[i]! ? 1 : s === previousScores[i] ? 0.5 : 0]));
        previous = { model, scores };
        const metrics = {
          reward_mean: sampled.rewardMean,
          pairs: sampled.pairs,
          tie_share: sampled.ties / rows.length,
          eval_reward_mean: mean(scores.filter((s): s is number => s !== null)),
          winrate_vs_previous: mean(battles),
          ...(beta === undefined ? {} : { beta }),
          train_loss: trained.metrics.train_loss,
        };
        const record: IterationRecord = { iteration, policy, reference, model, metrics };
        writeJsonAtomic(done, record);
        records.push(record);
        writeLog();
        ctx.reporter.info(
          `${ctx.stage}: iteration ${iteration}: sample reward ${metrics.reward_mean.toFixed(3)}, ${metrics.pairs} pairs (${(100 * metrics.tie_share).toFixed(0)}% tied), held-out reward ${metrics.eval_reward_mean.toFixed(3)}, ${(100 * metrics.winrate_vs_previous).toFixed(1)}% against iteration ${iteration - 1}`,
        );
      }
    } finally {
      rewards.dispose();
    }
    const metrics: Record<string, number> = { iterations: records.length };
    for (const r of records) for (const [k, v] of Object.entries(r.metrics)) metrics[`iteration_${r.iteration}/${k}`] = v;
    Object.assign(metrics, records[records.length - 1].metrics);
    return { metrics, artifacts: { model: records[records.length - 1].model, iterations: log } };
  },
};

/** The preference trainer's own options out of an online-dpo config. */
function withoutLoop(c: OnlineDpoConfig) {
  const { prompts, evalPrompts, rewards, iterations, samples, temperature, topP, maxNewTokens, generationBatchSize, referenceModel, beta, ...rest } = c;
  return rest;
}

/**
 * Samples `samples` completions per prompt from `policy` (seeded by the stage's seed, the
 * iteration and the prompt's index), scores them and writes the best/worst pairs to `file`
 * and their counts beside it, atomically; a resumed iteration that has both reads the counts back.
 */
async function sampleIterationPairs(ctx: TrainerContext<OnlineDpoConfig>, policy: string, rows: readonly (DataRow & { prompt: string })[], rewards: Rewards, iteration: number, file: string) {
  const c = ctx.config;
  const summary = `${file}.summary.json`;
  if (ctx.resume && existsSync(file) && existsSync(summary)) return JSON.parse(readFileSync(summary, 'utf8')) as { pairs: number; ties: number; rewardMean: number };
  const generator = openTextGenerator(policy, { batchSize: c.generationBatchSize });
  const task = ctx.reporter.progress(`${ctx.stage}: iteration ${iteration}: sampling ${c.samples} per prompt`, rows.length);
  const pairs: object[] = [];
  const all: number[] = [];
  let ties = 0;
  try {
    for (let start = 0; start < rows.length; start += c.generationBatchSize) {
      const part = rows.slice(start, start + c.generationBatchSize);
      const choices = await generator.complete(
        part.map((r, i) => ({ prompt: r.prompt, n: c.samples, maxNewTokens: c.maxNewTokens, doSample: true, temperature: c.temperature, topP: c.topP, seed: mixSeed(ctx.seed * 1009 + iteration, start + i) })),
      );
      const texts = choices.map((cs) => cs.map((x) => x.text));
      const items = part.flatMap((row, i) => texts[i].map((completion) => ({ prompt: row.prompt, completion, row })));
      const { total } = await rewards.score(items, (k) => `prompt ${start + Math.floor(k / c.samples) + 1}`);
      all.push(...total.filter((v): v is number => v !== null));
      const perPrompt = part.map((_, i) => total.slice(i * c.samples, (i + 1) * c.samples));
      const made = bestWorstPairs(part, texts, perPrompt);
      pairs.push(...made.pairs);
      ties += made.ties;
      task.tick(part.length);
    }
  } finally {
    generator.dispose();
  }
  task.done(`${pairs.length} pairs, ${ties} prompts tied`);
  const result = { pairs: pairs.length, ties, rewardMean: mean(all) };
  if (pairs.length) writeJsonlAtomic(file, pairs);
  writeJsonAtomic(summary, result);
  return result;
}
