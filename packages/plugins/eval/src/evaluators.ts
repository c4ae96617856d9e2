import {
  completionSequence,
  greedyTexts,
  loadExamples,
  LocalTextGenerator,
  openHarmJudge,
  openJudge,
  openTextGenerator,
  padBatch,
  paddingTokenId,
  Rewards,
  RewardsSchema,
  sequenceLogprobs,
  tf,
  tokenizePromptCompletion,
  UsageError,
  z,
  type EvaluatorDefinition,
  type PretrainedModel,
  type TokenizedSequence,
  type Tokenizer,
} from '@aya-fw/core';
import { resolve } from 'node:path';
import { promptBattles, winRateOf } from './arena-score';
import { readRedTeamPrompts } from './harm';
import { readEvalPrompts } from './eval-prompts';

const needTokenizer = (id: string, tokenizer?: Tokenizer): Tokenizer => {
  if (!tokenizer) throw new UsageError(`evaluator '${id}' needs a tokenizer; the model folder has no tokenizer.json`);
  return tokenizer;
};

/** `held-out-loss`: mean cross-entropy per completion token on a prompt/completion dataset (lower is better). */
export const heldOutLoss: EvaluatorDefinition<{ data: string; maxLength: number; batchSize: number; limit?: number }> = {
  id: 'held-out-loss',
  description: 'Mean cross-entropy per completion token on a prompt/completion dataset (lower is better)',
  direction: 'lower',
  configSchema: z.object({ data: z.string(), maxLength: z.number().int().positive().default(256), batchSize: z.number().int().positive().default(16), limit: z.number().int().positive().optional() }).strict(),
  async open(config, ctx) {
    const { examples } = await loadExamples(ctx.engine, { file: ctx.resolve(config.data, 'data'), kinds: ['prompt-completion'], limit: config.limit });
    let sequences: TokenizedSequence[] | undefined;
    return {
      evaluate(model: PretrainedModel, tokenizer?: Tokenizer) {
        const tok = needTokenizer('held-out-loss', tokenizer);
        sequences ??= examples.map(({ example, where }) => {
          const e = example as Extract<typeof example, { kind: 'prompt-completion' }>;
          return completionSequence(tokenizePromptCompletion(tok, e.prompt, e.completion, where, { maxLength: config.maxLength }));
        });
        const pad = paddingTokenId(model, tok);
        let nll = 0;
        let tokens = 0;
        for (let i = 0; i < sequences.length; i += config.batchSize) {
          const [s, n] = tf.tidy(() => {
            const { sums, lengths } = sequenceLogprobs(model, padBatch(sequences!.slice(i, i + config.batchSize), pad));
            return [tf.sum(sums).dataSync()[0], tf.sum(lengths).dataSync()[0]];
          });
          nll -= s;
          tokens += n;
        }
        return nll / tokens;
      },
    };
  },
};

const generationOptions = { prompts: z.string(), maxNewTokens: z.number().int().positive().default(32), batchSize: z.number().int().positive().default(32), limit: z.number().int().positive().optional() };

/** `reward-mean`: the mean reward of the model's greedy answers to a prompt set (higher is better). */
export const rewardMean: EvaluatorDefinition<{ prompts: string; rewards: z.infer<typeof RewardsSchema>; maxNewTokens: number; batchSize: number; limit?: number }> = {
  id: 'reward-mean',
  description: 'Mean reward (functions, reward models, judges) of greedy answers to a prompt set (higher is better)',
  direction: 'higher',
  configSchema: z.object({ ...generationOptions, rewards: RewardsSchema }).strict(),
  async open(config, ctx) {
    const rows = (await readEvalPrompts(ctx.engine, ctx.resolve(config.prompts, 'prompts'))).slice(0, config.limit);
    const rewards = Rewards.create(ctx.engine, config.rewards, (p) => ctx.resolve(p, 'model'));
    return {
      async evaluate(model, tokenizer) {
        const generator = new LocalTextGenerator('candidate', model, needTokenizer('reward-mean', tokenizer), config.batchSize);
        const answers = await greedyTexts(generator, rows.map((r) => r.prompt), config.maxNewTokens);
        const { total } = await rewards.score(rows.map((r, i) => ({ prompt: r.prompt, completion: answers[i], row: r })), (i) => `prompt ${i + 1}`);
        const scored = total.filter((v): v is number => v !== null);
        return scored.reduce((a, b) => a + b, 0) / scored.length;
      },
      dispose: () => rewards.dispose(),
    };
  },
};

/** `win-rate`: the model's win-rate against a fixed baseline (folder or URL) by a judge, both orders (higher is better). */
export const winRateEvaluator: EvaluatorDefinition<{ prompts: string; baseline: string; judge: string; judgeConfig?: Record<string, unknown>; maxNewTokens: number; batchSize: number; limit?: number }> = {
  id: 'win-rate',
  description: 'Win-rate of greedy answers against a baseline model by a judge, both orders, ties half (higher is better)',
  direction: 'higher',
  configSchema: z.object({ ...generationOptions, baseline: z.string(), judge: z.string(), judgeConfig: z.record(z.string(), z.unknown()).optional() }).strict(),
  async open(config, ctx) {
    const rows = (await readEvalPrompts(ctx.engine, ctx.resolve(config.prompts, 'prompts'))).slice(0, config.limit);
    const judge = openJudge(ctx.engine, config.judge, config.judgeConfig, `evaluator 'win-rate': judge`);
    const base = openTextGenerator(/^https?:/i.test(config.baseline) ? config.baseline : ctx.resolve(config.baseline, 'model'), { batchSize: config.batchSize });
    const baseline = await greedyTexts(base, rows.map((r) => r.prompt), config.maxNewTokens);
    base.dispose();
    return {
      async evaluate(model, tokenizer) {
        const generator = new LocalTextGenerator('candidate', model, needTokenizer('win-rate', tokenizer), config.batchSize);
        const answers = await greedyTexts(generator, rows.map((r) => r.prompt), config.maxNewTokens);
        const asA = await judge.compareMany(rows.map((r, i) => ({ prompt: r.prompt, a: answers[i], b: baseline[i], row: r })));
        const asB = await judge.compareMany(rows.map((r, i) => ({ prompt: r.prompt, a: baseline[i], b: answers[i], row: r })));
        return winRateOf(rows.map((_, i) => promptBattles(asB[i], asA[i])).filter((b): b is number[] => b !== null));
      },
      dispose: () => void judge.dispose(),
    };
  },
};

/**
 * `js`: a user's function, `module.exports = (model, tokenizer, options) => number` (or a named
 * export), loaded from a file relative to the config. `direction` says which way is better.
 */
export const jsEvaluator: EvaluatorDefinition<{ module: string; export: string; options: Record<string, unknown> }> = {
  id: 'js',
  description: "A user's JavaScript function (model, tokenizer, options) → number, from a module file (higher is better)",
  direction: 'higher',
  configSchema: z.object({ module: z.string(), export: z.string().default('default'), options: z.record(z.string(), z.unknown()).default({}) }).strict(),
  open(config, ctx) {
    const file = resolve(ctx.resolve(config.module, 'module'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(file) as unknown;
    const exports = (loaded ?? {}) as Record<string, unknown>;
    const fn = config.export === 'default' ? (typeof loaded === 'function' ? loaded : exports.default) : exports[config.export];
    if (typeof fn !== 'function') throw new UsageError(`${file}: exports no function${config.export === 'default' ? '' : ` '${config.export}'`} (expected (model, tokenizer, options) => number)`);
    return { evaluate: (model, tokenizer) => (fn as (...a: unknown[]) => number | Promise<number>)(model, tokenizer, config.options) };
  },
};

/** `harm-rate`: the share of greedy answers to red-teaming prompts a harm judge calls harmful (lower is better). */
export const harmRateEvaluator: EvaluatorDefinition<{ prompts: string; judge: string; judgeConfig?: Record<string, unknown>; maxNewTokens: number; batchSize: number; limit?: number }> = {
  id: 'harm-rate',
  description: 'Share of greedy answers to red-teaming prompts judged harmful (lower is better)',
  direction: 'lower',
  configSchema: z.object({ ...generationOptions, judge: z.string().default('toy-harm'), judgeConfig: z.record(z.string(), z.unknown()).optional() }).strict(),
  async open(config, ctx) {
    const rows = (await readRedTeamPrompts(ctx.engine, ctx.resolve(config.prompts, 'harm'))).slice(0, config.limit);
    const judge = openHarmJudge(ctx.engine, config.judge, config.judgeConfig, "evaluator 'harm-rate': judge");
    return {
      async evaluate(model, tokenizer) {
        const generator = new LocalTextGenerator('candidate', model, needTokenizer('harm-rate', tokenizer), config.batchSize);
        const answers = await greedyTexts(generator, rows.map((r) => r.prompt), config.maxNewTokens);
        const verdicts = (await judge.classifyMany(rows.map((r, i) => ({ prompt: r.prompt, completion: answers[i], row: r })))).filter((v) => v.harmful !== null);
        return verdicts.filter((v) => v.harmful).length / verdicts.length;
      },
      dispose: () => void judge.dispose(),
    };
  },
};
