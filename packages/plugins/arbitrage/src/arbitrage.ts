import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  inLanguages,
  mixSeed,
  openTextGenerator,
  readJsonlFile,
  readPromptRows,
  resolveInput,
  resolveModelRef,
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
import { arbitrate, type Candidate } from './select';
import { serves, settleTeachers, TeacherSchema, type Teacher } from './teachers';
import { summarize } from './summary';

/** Options of the `arbitrage` stage (and of `aya-fw data arbitrage`). */
export const ArbitrageConfigSchema = z
  .object({
    teachers: z.array(TeacherSchema).min(1).describe('The teacher pool: model folders, `stage:<name>`, remote models (`http://host:port/v1#name`), each optionally `{ model, name, languages }`.'),
    prompts: z.string().describe('Prompt rows (`prompt`, `language`, and the columns the arbiter reads), JSONL, JSON or Parquet, or `stage:<name>/prompts`.'),
    rewards: RewardsSchema.describe('The arbiter: the online-RL trainers\' rewards contract (reward functions, reward models, judges against a column), weighted.'),
    languages: z.array(z.string()).min(1).optional().describe('Keep only prompts in these languages.'),
    maxNewTokens: z.number().int().positive().default(64),
    temperature: z.number().min(0).default(0).describe('0 (the default) decodes greedily; above 0 each teacher samples, seeded by the stage, the teacher and the prompt.'),
    topP: z.number().gt(0).max(1).default(1),
    batchSize: z.number().int().positive().default(32).describe('Prompts decoded together by a local teacher.'),
    chunkSize: z.number().int().positive().default(64).describe('Prompts per chunk: the unit that is committed to disk, skipped on resume, and shipped as one job.'),
  })
  .strict();
export type ArbitrageConfig = z.infer<typeof ArbitrageConfigSchema>;

type PromptRow = DataRow & { prompt: string };

const chunkName = (k: number) => `chunk-${String(k).padStart(5, '0')}.jsonl`;

/**
 * `arbitrage`: the Aya Expanse recipe's data arbitrage. Every prompt goes to every teacher that
 * serves its language; the arbiter (the rewards) scores each completion and the best is kept.
 * Writes `sft.jsonl` (TRL prompt/completion rows with `teacher`, `score` and `runners_up`),
 * `pairs.jsonl` (the pool's best against its worst, for offline DPO), one `teacher-<name>.jsonl`
 * per teacher (single-teacher baselines) and `summary.json` (wins per teacher and language).
 * Work is committed chunk by chunk (`generations/<teacher>/`, then `scored/`), so a killed run
 * resumed with `--resume` redoes only the chunk it was in, and no prompt is written twice.
 */
export const arbitrageTrainer: TrainerDefinition<ArbitrageConfig> = {
  id: 'arbitrage',
  description: 'Data arbitrage: each prompt to a pool of teachers, the arbiter keeps the best (SFT data) and best/worst (pairs); resumable by chunk',
  configSchema: ArbitrageConfigSchema,
  contributions: (c) => rewardContributions(c.rewards),
  async run(ctx) {
    const c = ctx.config;
    const teachers = settleTeachers(c.teachers, ctx.stage);
    const file = resolveInput(ctx, c.prompts, 'prompts');
    const rows = inLanguages(ctx, file, await readPromptRows(ctx.engine, file), (r) => r, c.languages);
    const unserved = rows.filter((r) => !teachers.some((t) => serves(t, r)));
    if (unserved.length === rows.length) throw new UsageError(`${ctx.stage}: no teacher serves the languages of ${file} (${[...new Set(rows.map((r) => String(r.language)))].join(', ')})`);
    if (unserved.length) ctx.reporter.warn(`${ctx.stage}: ${unserved.length} prompts are in languages no teacher serves (${[...new Set(unserved.map((r) => String(r.language)))].join(', ')}); they are left out`);
    const chunks = Array.from({ length: Math.ceil(rows.length / c.chunkSize) }, (_, k) => ({ k, start: k * c.chunkSize, rows: rows.slice(k * c.chunkSize, (k + 1) * c.chunkSize) }));
    checkFingerprint(ctx, rows, teachers);

    for (const [t, teacher] of teachers.entries()) await generateChunks(ctx, teacher, t, chunks);
    await scoreChunks(ctx, teachers, chunks);

    // Assembly: every prompt once, in input order.
    const decided = chunks.flatMap(({ k, start, rows: part }) =>
      readJsonlFile<{ index: number; candidates: Candidate[] }>(join(ctx.outDir, 'scored', chunkName(k))).map((x) => ({ row: part[x.index - start], candidates: x.candidates, decision: arbitrate(x.candidates) })),
    );
    const sft: object[] = [];
    const pairs: object[] = [];
    const perTeacher = new Map<string, object[]>(teachers.map((t) => [t.name, []]));
    for (const { row, candidates, decision } of decided) {
      for (const cand of candidates) if (cand.score !== null) perTeacher.get(cand.teacher)!.push({ ...row, completion: cand.completion, teacher: cand.teacher, score: cand.score });
      if (!decision) continue;
      const { best, worst, runnersUp } = decision;
      sft.push({ ...row, completion: best.completion, teacher: best.teacher, score: best.score, runners_up: runnersUp.map((r) => ({ teacher: r.teacher, score: r.score, completion: r.completion })) });
      if (worst.score < best.score) {
        pairs.push({ ...row, chosen: best.completion, rejected: worst.completion, chosen_teacher: best.teacher, rejected_teacher: worst.teacher, chosen_reward: best.score, rejected_reward: worst.score });
      }
    }
    if (!sft.length) throw new UsageError(`${ctx.stage}: the arbiter scored no completion of any prompt; nothing to keep`);
    const summary = summarize(teachers, rows.length, unserved.length, decided);
    const artifacts: Record<string, string> = { data: join(ctx.outDir, 'sft.jsonl'), pairs: join(ctx.outDir, 'pairs.jsonl'), summary: join(ctx.outDir, 'summary.json') };
    for (const [name, teacherRows] of perTeacher) writeJsonlAtomic((artifacts[`teacher-${name}`] = join(ctx.outDir, `teacher-${name}.jsonl`)), teacherRows);
    artifacts['best-teacher'] = artifacts[`teacher-${summary.best_teacher}`];
    writeJsonlAtomic(artifacts.data, sft);
    writeJsonlAtomic(artifacts.pairs, pairs);
    writeJsonAtomic(artifacts.summary, summary);
    for (const line of summaryLines(summary)) ctx.reporter.info(`${ctx.stage}: ${line}`);
    const metrics: Record<string, number> = { prompts: rows.length, arbitrated: sft.length, pairs: pairs.length, unserved: unserved.length, tied_at_top: summary.tied_at_top, 'mean_score/arbitrage': summary.mean_best };
    for (const [name, t] of Object.entries(summary.teachers)) Object.assign(metrics, { [`wins/${name}`]: t.wins, [`mean_score/${name}`]: t.mean_score });
    return { metrics, artifacts };
  },
};

/**
 * Refuses to resume over chunks made from other prompts, teachers or decoding options: the
 * folder's `arbitrage.json` records what its chunks were made from. A fresh run clears old chunks.
 */
function checkFingerprint(ctx: TrainerContext<ArbitrageConfig>, rows: readonly PromptRow[], teachers: readonly Teacher[]): void {
  const c = ctx.config;
  const what = { prompts: rows.map((r) => [r.prompt, r.language ?? null]), teachers, rewards: c.rewards, maxNewTokens: c.maxNewTokens, temperature: c.temperature, topP: c.topP, chunkSize: c.chunkSize, seed: ctx.seed };
  const fingerprint = createHash('sha256').update(JSON.stringify(what)).digest('hex');
  const file = join(ctx.outDir, 'arbitrage.json');
  if (ctx.resume && existsSync(file)) {
    const before = JSON.parse(readFileSync(file, 'utf8')) as { fingerprint?: string };
    if (before.fingerprint !== fingerprint) throw new UsageError(`${ctx.stage}: ${ctx.outDir} holds chunks of an arbitrage with other prompts, teachers, arbiter or decoding options; resume it with the same options or use another --out`);
    return;
  }
  rmSync(join(ctx.outDir, 'generations'), { recursive: true, force: true });
  rmSync(join(ctx.outDir, 'scored'), { recursive: true, force: true });
  mkdirSync(ctx.outDir, { recursive: true });
  writeJsonAtomic(file, { fingerprint, prompts: rows.length, teachers: teachers.map((t) => t.name), chunkSize: c.chunkSize });
}

interface Chunk {
  readonly k: number;
  readonly start: number;
  readonly rows: readonly PromptRow[];
}

/** One teacher's completions of every chunk not yet on disk; the teacher is loaded only if one is missing. */
async function generateChunks(ctx: TrainerContext<ArbitrageConfig>, teacher: Teacher, t: number, chunks: readonly Chunk[]): Promise<void> {
  const c = ctx.config;
  const dir = join(ctx.outDir, 'generations', teacher.name);
  const todo = chunks.filter(({ k }) => !existsSync(join(dir, chunkName(k))));
  if (!todo.length) return;
  mkdirSync(dir, { recursive: true });
  const served = (part: readonly PromptRow[], start: number) => part.map((row, i) => ({ row, index: start + i })).filter(({ row }) => serves(teacher, row));
  const task = ctx.reporter.progress(`${ctx.stage}: ${teacher.name} completions`, todo.reduce((n, ch) => n + served(ch.rows, ch.start).length, 0));
  const generator = openTextGenerator(resolveModelRef(ctx, teacher.model), { batchSize: c.batchSize });
  try {
    for (const chunk of todo) {
      const mine = served(chunk.rows, chunk.start);
      let ticked = 0;
      const choices = await generator.complete(
        mine.map(({ row, index }) => ({
          prompt: row.prompt,
          maxNewTokens: c.maxNewTokens,
          ...(c.temperature > 0 ? { doSample: true, temperature: c.temperature, topP: c.topP, seed: mixSeed(ctx.seed * 7919 + t, index) } : {}),
        })),
        (done) => (task.tick(done - ticked), (ticked = done)),
      );
      writeJsonlAtomic(join(dir, chunkName(chunk.k)), mine.map(({ index }, i) => ({ index, completion: choices[i][0].text })));
    }
  } finally {
    generator.dispose();
  }
  task.done();
}

/** The arbiter's scores of every chunk not yet scored (the rewards are loaded only if one is missing). */
async function scoreChunks(ctx: TrainerContext<ArbitrageConfig>, teachers: readonly Teacher[], chunks: readonly Chunk[]): Promise<void> {
  const dir = join(ctx.outDir, 'scored');
  const todo = chunks.filter(({ k }) => !existsSync(join(dir, chunkName(k))));
  if (!todo.length) return;
  mkdirSync(dir, { recursive: true });
  const rewards = Rewards.create(ctx.engine, ctx.config.rewards, (path) => resolveInput(ctx, path, 'model'), `${ctx.stage}: rewards`);
  const task = ctx.reporter.progress(`${ctx.stage}: arbiter`, todo.reduce((n, ch) => n + ch.rows.length, 0));
  try {
    for (const { k, start, rows } of todo) {
      const byTeacher = teachers.map((teacher) => new Map(readJsonlFile<{ index: number; completion: string }>(join(ctx.outDir, 'generations', teacher.name, chunkName(k))).map((g) => [g.index, g.completion])));
      const items = rows.flatMap((row, i) => teachers.flatMap((teacher, t) => (byTeacher[t].has(start + i) ? [{ index: start + i, teacher: teacher.name, prompt: row.prompt, completion: byTeacher[t].get(start + i)!, row }] : [])));
      const { total } = await rewards.score(items, (j) => `prompt ${items[j].index + 1} (${items[j].teacher})`);
      const out = rows.map((_, i) => ({ index: start + i, candidates: [] as Candidate[] }));
      items.forEach((x, j) => out[x.index - start].candidates.push({ teacher: x.teacher, completion: x.completion, score: total[j] }));
      writeJsonlAtomic(join(dir, chunkName(k)), out.filter((x) => x.candidates.length));
      task.tick(rows.length);
    }
  } finally {
    rewards.dispose();
  }
  task.done();
}

/** Wins per teacher overall and per language, as the stage prints them. */
function summaryLines(s: ReturnType<typeof summarize>): string[] {
  const names = Object.keys(s.teachers);
  return [
    `${s.arbitrated} of ${s.prompts} prompts arbitrated, ${s.pairs} pairs; wins ${names.map((n) => `${n} ${s.teachers[n].wins}`).join(', ')}; best single teacher ${s.best_teacher}`,
    ...Object.entries(s.languages).map(([lang, l]) => `${lang}: ${names.map((n) => `${n} ${l.wins[n] ?? 0}`).join(', ')} (mean score ${l.mean_best.toFixed(3)})`),
  ];
}
