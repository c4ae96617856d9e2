import { generate, loadPretrained, readPromptRows, resolveInput, rewardContributions, Rewards, RewardsSchema, stopTokenIds, Tokenizer, UsageError, z, type TrainerDefinition } from '@aya-fw/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Options of the `sample-pairs` stage. */
export const SamplePairsConfigSchema = z
  .object({
    /** Model to sample from, or `stage:<name>`. */
    model: z.string(),
    /** Prompt rows (`prompt` plus the columns the judge needs), JSONL, JSON or Parquet. */
    prompts: z.string(),
    /** Judge id in the judge registry. */
    judge: z.string(),
    /** Rewards whose weighted sum becomes `chosen_reward`/`rejected_reward` (for CoPG): `[{ function: toy-reward }]`, a reward model, a judge. */
    rewards: RewardsSchema.optional(),
    /** Completions sampled per prompt (default 4). */
    samples: z.number().int().min(2).default(4),
    temperature: z.number().positive().default(1),
    topP: z.number().gt(0).max(1).default(1),
    maxNewTokens: z.number().int().positive().default(32),
    /** Prompts per generation batch (default 32). */
    batchSize: z.number().int().positive().default(32),
  })
  .strict();
export type SamplePairsConfig = z.infer<typeof SamplePairsConfigSchema>;

/**
 * `sample-pairs`: the online half of iterative preference training. Samples several completions
 * per prompt from the current model, ranks them with a judge (round robin, ties half a win),
 * and writes the best and worst of each prompt as a preference pair (prompts whose samples all
 * tie are dropped).
 */
export const samplePairs: TrainerDefinition<SamplePairsConfig> = {
  id: 'sample-pairs',
  description: 'Sample completions per prompt, rank them with a judge, write best/worst preference pairs',
  configSchema: SamplePairsConfigSchema,
  contributions: (c) => [
    { kind: 'judges', id: c.judge, idPath: ['judge'] },
    ...rewardContributions(c.rewards ?? []),
  ],
  async run(ctx) {
    const c = ctx.config;
    const judge = ctx.engine.resolve('judges', c.judge);
    const modelDir = resolveInput(ctx, c.model, 'model');
    const rewards = c.rewards ? Rewards.create(ctx.engine, c.rewards, (path) => resolveInput(ctx, path, 'model')) : undefined;
    const rows = await readPromptRows(ctx.engine, resolveInput(ctx, c.prompts, 'prompts'));
    const tokenizer = Tokenizer.fromPretrained(modelDir);
    const model = loadPretrained(modelDir, { trainable: false });
    const eos = stopTokenIds(model, tokenizer);
    const pairs: object[] = [];
    let ties = 0;
    const task = ctx.reporter.progress(`${ctx.stage}: sampling ${c.samples} per prompt`, rows.length);
    try {
      for (let start = 0; start < rows.length; start += c.batchSize) {
        const part = rows.slice(start, start + c.batchSize);
        const prompts = part.flatMap((r) => Array.from({ length: c.samples }, () => tokenizer.encode(r.prompt)));
        const out = generate(model, prompts, {
          maxNewTokens: c.maxNewTokens,
          doSample: true,
          temperature: c.temperature,
          topP: c.topP,
          seed: ctx.seed * 100003 + start,
          eosTokenIds: eos,
        });
        for (let i = 0; i < part.length; i++) {
          const row = part[i];
          const texts = out.tokens.slice(i * c.samples, (i + 1) * c.samples).map((t) => tokenizer.decode(t, { skipSpecialTokens: true }));
          const wins = texts.map(() => 0);
          for (let a = 0; a < texts.length; a++) {
            for (let b = a + 1; b < texts.length; b++) {
              const verdict = await judge.compare(row.prompt, texts[a], texts[b], row);
              wins[a] += verdict === 'a' ? 1 : verdict === 'tie' ? 0.5 : 0;
              wins[b] += verdict === 'b' ? 1 : verdict === 'tie' ? 0.5 : 0;
            }
          }
          const best = wins.indexOf(Math.max(...wins));
          const worst = wins.indexOf(Math.min(...wins));
          if (wins[best] === wins[worst] || (await judge.compare(row.prompt, texts[best], texts[worst], row)) !== 'a') {
            ties++;
            continue;
          }
          const { prompt, ...extra } = row;
          const scored = rewards && (await rewards.score([texts[best], texts[worst]].map((completion) => ({ prompt, completion, row })), () => `prompt ${start + i + 1}`)).total;
          pairs.push({ ...extra, prompt, chosen: texts[best], rejected: texts[worst], ...(scored ? { chosen_reward: scored[0], rejected_reward: scored[1] } : {}) });
        }
        task.tick(part.length);
      }
    } finally {
      model.dispose();
      rewards?.dispose();
    }
    task.done(`${pairs.length} pairs, ${ties} prompts without a preference`);
    if (pairs.length === 0) throw new UsageError(`${ctx.stage}: the judge preferred no sample over another for any prompt; nothing to train on`);
    const file = join(ctx.outDir, 'pairs.jsonl');
    writeFileSync(file, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    return { metrics: { prompts: rows.length, pairs: pairs.length, tied_prompts: ties }, artifacts: { data: file } };
  },
};
