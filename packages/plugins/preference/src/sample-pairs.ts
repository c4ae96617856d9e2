import { judgeContribution, openJudge, openTextGenerator, readPromptRows, resolveInput, resolveModelRef, rewardContributions, Rewards, RewardsSchema, UsageError, verdictScore, writeJsonlAtomic, z, type TrainerDefinition } from '@aya-fw/core';
import { join } from 'node:path';

/** Options of the `sample-pairs` stage. */
export const SamplePairsConfigSchema = z
  .object({
    model: z.string().describe('Model to sample from: a folder, `stage:<name>`, or a remote model `http://host:port/v1#name`.'),
    prompts: z.string().describe('Prompt rows (`prompt` plus the columns the judge needs), JSONL, JSON or Parquet.'),
    judge: z.string().describe('Judge id in the judge registry, or an LLM judge\'s URL (`http://host:port/v1#name`).'),
    judgeConfig: z.record(z.string(), z.unknown()).optional().describe('Options of the judge.'),
    rewards: RewardsSchema.optional().describe('Rewards whose weighted sum becomes `chosen_reward`/`rejected_reward` (for CoPG): `[{ function: toy-reward }]`, a reward model, a judge.'),
    samples: z.number().int().min(2).default(4).describe('Completions sampled per prompt (default 4).'),
    temperature: z.number().positive().default(1),
    topP: z.number().gt(0).max(1).default(1),
    maxNewTokens: z.number().int().positive().default(32),
    batchSize: z.number().int().positive().default(32).describe('Prompts per generation batch (default 32).'),
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
    judgeContribution(c.judge, c.judgeConfig),
    ...rewardContributions(c.rewards ?? []),
  ],
  async run(ctx) {
    const c = ctx.config;
    const judge = openJudge(ctx.engine, c.judge, c.judgeConfig, `${ctx.stage}: judge`);
    const rewards = c.rewards ? Rewards.create(ctx.engine, c.rewards, (path) => resolveInput(ctx, path, 'model')) : undefined;
    const rows = await readPromptRows(ctx.engine, resolveInput(ctx, c.prompts, 'prompts'));
    const generator = openTextGenerator(resolveModelRef(ctx, c.model), { batchSize: c.batchSize });
    const pairs: object[] = [];
    let ties = 0;
    const task = ctx.reporter.progress(`${ctx.stage}: sampling ${c.samples} per prompt`, rows.length);
    try {
      for (let start = 0; start < rows.length; start += c.batchSize) {
        const part = rows.slice(start, start + c.batchSize);
        const samples = await generator.complete(
          part.map((r, i) => ({ prompt: r.prompt, n: c.samples, maxNewTokens: c.maxNewTokens, doSample: true, temperature: c.temperature, topP: c.topP, seed: ctx.seed * 100003 + start + i })),
        );
        const texts = samples.map((choices) => choices.map((x) => x.text));
        // Round robin within each prompt's samples; ties and missing verdicts count half.
        const games = part.flatMap((row, i) => texts[i].flatMap((_, a) => texts[i].slice(a + 1).map((__, k) => ({ i, a, b: a + 1 + k, row }))));
        const verdicts = await judge.compareMany(games.map((g) => ({ prompt: g.row.prompt, a: texts[g.i][g.a], b: texts[g.i][g.b], row: g.row })));
        const wins = texts.map((t) => t.map(() => 0));
        games.forEach((g, k) => {
          const s = verdictScore(verdicts[k]) ?? 0.5;
          wins[g.i][g.a] += s;
          wins[g.i][g.b] += 1 - s;
        });
        const ends = part.map((_, i) => ({ best: wins[i].indexOf(Math.max(...wins[i])), worst: wins[i].indexOf(Math.min(...wins[i])) }));
        const decisive = await judge.compareMany(part.map((row, i) => ({ prompt: row.prompt, a: texts[i][ends[i].best], b: texts[i][ends[i].worst], row })));
        for (let i = 0; i < part.length; i++) {
          const row = part[i];
          const { best, worst } = ends[i];
          if (wins[i][best] === wins[i][worst] || verdictScore(decisive[i]) !== 1) {
            ties++;
            continue;
          }
          const { prompt, ...extra } = row;
          const scored = rewards && (await rewards.score([texts[i][best], texts[i][worst]].map((completion) => ({ prompt, completion, row })), () => `prompt ${start + i + 1}`)).total;
          pairs.push({ ...extra, prompt, chosen: texts[i][best], rejected: texts[i][worst], ...(scored ? { chosen_reward: scored[0], rejected_reward: scored[1] } : {}) });
        }
        task.tick(part.length);
      }
    } finally {
      generator.dispose();
      rewards?.dispose();
      await judge.dispose();
    }
    task.done(`${pairs.length} pairs, ${ties} prompts without a preference`);
    if (pairs.length === 0) throw new UsageError(`${ctx.stage}: the judge preferred no sample over another for any prompt; nothing to train on`);
    const file = join(ctx.outDir, 'pairs.jsonl');
    writeJsonlAtomic(file, pairs);
    return { metrics: { prompts: rows.length, pairs: pairs.length, tied_prompts: ties }, artifacts: { data: file } };
  },
};
