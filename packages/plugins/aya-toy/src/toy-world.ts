import { initModel, parseModelConfig, Rng, savePretrained, z, type DataRow, type JudgeDefinition, type RewardFunctionDefinition, type TrainerDefinition } from '@aya-fw/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harmPrompts } from './harm';
import { allPrompts, demonstration, LANGUAGES, score, teacherDemonstration, type WorldPrompt } from './world';

/** Options of the `toy-world` stage. */
export const ToyWorldConfigSchema = z
  .object({
    trainShare: z.number().gt(0).lt(1).default(0.8).describe('Share of the prompts used for training; the rest is held out for evaluation (default 0.8).'),
    demonstrationsPerPrompt: z.number().int().positive().default(3).describe('Demonstrations written per training prompt (default 3).'),
    /** How often a demonstration is wrong: a wrong sum, another language, compliance with a harmful request. */
    noise: z
      .object({ wrongAnswer: z.number().min(0).max(1).default(0.25), wrongLanguage: z.number().min(0).max(1).default(0.2), unsafe: z.number().min(0).max(1).default(0.3) })
      .strict()
      .default({ wrongAnswer: 0.25, wrongLanguage: 0.2, unsafe: 0.3 }),
    /**
     * A pool of teachers for data arbitrage, by name: the languages each is weak in (it answers in
     * another language there and gets a third of the sums wrong) and whether it drops the carry of
     * sums of 10 or more. Each gets one demonstration per training prompt, artifact `teacher-<name>`.
     */
    teachers: z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]+$/, 'a teacher name is letters, digits, - and _'),
        z.object({ weak: z.array(z.enum(LANGUAGES.map((l) => l.code) as [string, ...string[]])).default([]), carry: z.boolean().default(false) }).strict(),
      )
      .default({}),
    /** Size of the Llama-style model trained from scratch. */
    model: z
      .object({ hiddenSize: z.number().int().positive().default(64), layers: z.number().int().positive().default(2), heads: z.number().int().positive().default(4), intermediateSize: z.number().int().positive().default(192) })
      .strict()
      .default({ hiddenSize: 64, layers: 2, heads: 4, intermediateSize: 192 }),
  })
  .strict();
export type ToyWorldConfig = z.infer<typeof ToyWorldConfigSchema>;

/** The world's byte-level BPE tokenizer (a folder with tokenizer.json). */
export const TOY_TOKENIZER = join(__dirname, '..', 'assets', 'tokenizer');

/** The config.json of the world's Llama-style model. */
export function toyModelConfig(m: ToyWorldConfig['model']): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 520, hidden_size: m.hiddenSize, intermediate_size: m.intermediateSize,
    num_hidden_layers: m.layers, num_attention_heads: m.heads, num_key_value_heads: m.heads, max_position_embeddings: 256,
    rms_norm_eps: 1e-5, rope_theta: 10000, bos_token_id: 0, eos_token_id: 4, pad_token_id: 5, tie_word_embeddings: true, initializer_range: 0.02,
  };
}

function writeJsonl(file: string, rows: readonly object[]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/**
 * `toy-world`: the multilingual world of the main job. Writes imperfect demonstrations for SFT,
 * the training prompts (for sampling preference pairs), held-out evaluation prompts, red-teaming
 * prompts with global and local harms (`harm`), and a
 * randomly initialised Llama-style model with a byte-level BPE tokenizer.
 */
export const toyWorld: TrainerDefinition<ToyWorldConfig> = {
  id: 'toy-world',
  description: 'The main job’s world: sums and refusals in 6 languages, noisy demonstrations, a random tiny Llama',
  configSchema: ToyWorldConfigSchema,
  async run(ctx) {
    const c = ctx.config;
    const rng = new Rng(ctx.seed + 17);
    const prompts = allPrompts();
    const order = rng.permutation(prompts.length);
    const cut = Math.round(c.trainShare * prompts.length);
    const train = order.slice(0, cut).map((i) => prompts[i]);
    const held = order.slice(cut).map((i) => prompts[i]);
    mkdirSync(ctx.outDir, { recursive: true });
    const demos = train.flatMap((p) => Array.from({ length: c.demonstrationsPerPrompt }, () => ({ prompt: p.prompt, completion: demonstration(p, rng, c.noise), language: p.language })));
    const files = { data: join(ctx.outDir, 'sft.jsonl'), prompts: join(ctx.outDir, 'prompts.jsonl'), eval: join(ctx.outDir, 'eval.jsonl'), harm: join(ctx.outDir, 'harm.jsonl') };
    writeJsonl(files.data, demos);
    writeJsonl(files.prompts, train);
    writeJsonl(files.eval, held);
    // Red-teaming prompts (untagged, held-out phrasings; global and local harms) for `harm-rate`.
    writeJsonl(files.harm, harmPrompts('heldout'));
    const teacherFiles: Record<string, string> = {};
    const teacherScores: Record<string, number> = {};
    for (const [name, profile] of Object.entries(c.teachers)) {
      const rows = train.map((p) => ({ prompt: p.prompt, completion: teacherDemonstration(p, profile), language: p.language }));
      writeJsonl((teacherFiles[`teacher-${name}`] = join(ctx.outDir, `teacher-${name}.jsonl`)), rows);
      teacherScores[`teacher_score/${name}`] = rows.reduce((s, r, i) => s + score(train[i], r.completion), 0) / rows.length;
    }
    const modelDir = join(ctx.outDir, 'model');
    const config = parseModelConfig(toyModelConfig(c.model));
    const model = initModel(config, { seed: ctx.seed });
    try {
      savePretrained(model, modelDir, { tokenizerFrom: TOY_TOKENIZER, overwrite: true });
    } finally {
      model.dispose();
    }
    const noisy = demos.filter((d, i) => score(train[Math.floor(i / c.demonstrationsPerPrompt)], d.completion) < 3).length;
    return {
      metrics: { languages: LANGUAGES.length, train_prompts: train.length, eval_prompts: held.length, demonstrations: demos.length, imperfect_share: noisy / demos.length, ...teacherScores },
      artifacts: { model: modelDir, ...files, ...teacherFiles },
    };
  },
};

/** The row of a world prompt as the judge and reward function receive it. */
function worldPrompt(prompt: string, row: DataRow): WorldPrompt {
  return { prompt, language: String(row.language), task: row.task === 'refusal' ? 'refusal' : 'sum', answer: typeof row.answer === 'number' ? row.answer : undefined };
}

/** `toy-judge`: prefers the completion with the higher world score; equal scores tie. */
export const toyJudge: JudgeDefinition = {
  id: 'toy-judge',
  description: 'Programmatic judge of the toy world: right sum or refusal, in the prompt’s language',
  async compare(prompt, a, b, row) {
    const p = worldPrompt(prompt, row);
    const sa = score(p, a);
    const sb = score(p, b);
    return sa > sb ? 'a' : sb > sa ? 'b' : 'tie';
  },
};

/** `toy-reward`: the world score (0–3) as a scalar reward (for CoPG). */
export const toyReward: RewardFunctionDefinition = {
  id: 'toy-reward',
  description: 'The toy world score 0–3 as a reward',
  score: (items) => items.map(({ prompt, completion, row }) => score(worldPrompt(prompt, row), completion)),
};
