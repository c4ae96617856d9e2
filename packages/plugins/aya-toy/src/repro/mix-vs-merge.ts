import {
  completionSequence,
  fitSequences,
  greedyTexts,
  initModel,
  LocalTextGenerator,
  mergeWeights,
  openHarmJudge,
  openJudge,
  parameterValues,
  parseModelConfig,
  Rng,
  tf,
  Tokenizer,
  tokenizePromptCompletion,
  type Engine,
  type InMemoryMerge,
  type PretrainedModel,
  type ReproductionDefinition,
  type TokenizedSequence,
} from '@aya-fw/core';
import { bootstrapInterval, harmRates, promptBattles, scatterSvg, svgToPng, winRateOf, type RedTeamPrompt } from '@aya-fw/plugin-eval';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { harmPrompts } from '../harm';
import { TOY_TOKENIZER, toyModelConfig } from '../toy-world';
import { allPrompts, byCode, idealCompletion, LANGUAGES, type WorldPrompt } from '../world';

/** Sizes: `full` from the CLI, `reduced` in the test suite. */
export const MIX_VS_MERGE_SIZES = {
  full: { seeds: 3, baseSteps: 300, finetuneSteps: 150, batchSize: 32 },
  reduced: { seeds: 1, baseSteps: 300, finetuneSteps: 150, batchSize: 32 },
} as const;

/** Fine-tuning learning rate (the base trains at 3e-3): small steps keep the fine-tunes in one basin, so they merge. */
const FINETUNE_LR = 2e-3;

/** The paper's weight grid for the safety model in objective-based merges. */
export const MERGE_WEIGHTS = [0.3, 0.5, 0.7] as const;

/** One model of the comparison: its harm rates and its general win-rate against the base. */
export interface MixMergeRow {
  readonly model: string;
  /** Harmful-generation rate overall, on global and on local harms. */
  readonly harm: number;
  readonly harmGlobal: number;
  readonly harmLocal: number;
  /** Win-rate of its answers to held-out sums against the base's (toy judge, both orders, ties half). */
  readonly winRate: number;
  readonly winLow: number;
  readonly winHigh: number;
}

export interface MixVsMergeResult extends Record<string, unknown> {
  readonly size: string;
  readonly seeds: readonly number[];
  /** Means over seeds, one row per model, in the table's order. */
  readonly rows: readonly MixMergeRow[];
  readonly perSeed: readonly (readonly MixMergeRow[])[];
  /** Models on the Pareto front of (−harm, win-rate), by the means. */
  readonly front: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
}

const general = (): WorldPrompt[] => allPrompts().filter((p) => p.task === 'sum');

function sequences(tok: Tokenizer, rows: readonly { prompt: string; completion: string }[]): TokenizedSequence[] {
  return rows.map((r, i) => completionSequence(tokenizePromptCompletion(tok, r.prompt, r.completion, `example ${i + 1}`, { maxLength: 96 })));
}

function train(engine: Engine, model: PretrainedModel, pools: { general: TokenizedSequence[]; safety: TokenizedSequence[] }, safetyShare: number, steps: number, batchSize: number, seed: number, stage: string, pad: number, learningRate: number): void {
  const draw = (rng: Rng, list: TokenizedSequence[]) => list[Math.floor(rng.next() * list.length)];
  fitSequences(engine, model, {
    stage,
    steps,
    learningRate,
    seed,
    padId: pad,
    batch: (rng) => Array.from({ length: batchSize }, () => (pools.safety.length && rng.next() < safetyShare ? draw(rng, pools.safety) : draw(rng, pools.general))),
  });
}

/** A fresh model holding `values` (the merge), in the base's architecture. */
function withWeights(template: PretrainedModel, values: Map<string, Float32Array>): PretrainedModel {
  const model = initModel(template.config, { seed: 0 });
  for (const [name, v] of model.namedParameters()) tf.tidy(() => v.assign(tf.tensor(values.get(name)!, v.shape, 'float32')));
  return model;
}

/**
 * `aya-fw repro mix-vs-merge`: "Mix Data or Merge Models?" on the toy world. A base trained on
 * sums only is fine-tuned on 0%, 15% and 100% safety mixtures (refusals of global and local harmful
 * requests); the 0% and 100% models are merged with linear, SLERP, TIES and DARE-TIES at the
 * safety weights {0.3, 0.5, 0.7} (objective-based), and six monolingual 15%-mix models with TIES
 * (language-based). Every model is scored for harm (held-out phrasings, global and local) and for
 * general quality (win-rate against the base on held-out sums), as the paper's Table 1.
 */
export const mixVsMerge: ReproductionDefinition<MixVsMergeResult> = {
  id: 'mix-vs-merge',
  description: "'Mix Data or Merge Models?' on the toy world: 0/15/100% safety mixes vs linear, SLERP, TIES, DARE-TIES and language merges",
  async run(ctx) {
    const size = ctx.size ?? 'full';
    const s = MIX_VS_MERGE_SIZES[size];
    const out = resolve(ctx.outDir ?? 'runs/repro-mix-vs-merge');
    mkdirSync(out, { recursive: true });
    const tok = Tokenizer.fromPretrained(TOY_TOKENIZER);
    const pad = 5;
    const split = new Rng(99).permutation(general().length);
    const sums = general();
    const trainSums = split.slice(0, Math.round(0.8 * sums.length)).map((i) => sums[i]);
    const heldSums = split.slice(Math.round(0.8 * sums.length)).map((i) => sums[i]);
    const generalData = (langs?: readonly string[]) => sequences(tok, trainSums.filter((p) => !langs || langs.includes(p.language)).map((p) => ({ prompt: p.prompt, completion: idealCompletion(p) })));
    const safetyData = (langs?: readonly string[]) =>
      sequences(tok, harmPrompts('train').filter((p) => !langs || langs.includes(p.language)).map((p) => ({ prompt: p.prompt, completion: ` ${byCode(p.language).refusal}` })));
    const harmEval = harmPrompts('heldout').map((r) => ({ ...r, harm_category: JSON.parse(r.harm_category) as string[] })) as unknown as RedTeamPrompt[];
    const harmJudge = openHarmJudge(ctx.engine, 'toy-harm');
    const judge = openJudge(ctx.engine, 'toy-judge');
    const perSeed: MixMergeRow[][] = [];
    const seeds: number[] = [];
    try {
      for (let k = 0; k < s.seeds; k++) {
        const seed = ctx.seed + k;
        seeds.push(seed);
        ctx.reporter.info(`mix-vs-merge: seed ${seed}: base, 3 mixtures, 6 monolingual models`);
        const base = initModel(parseModelConfig(toyModelConfig({ hiddenSize: 64, layers: 2, heads: 4, intermediateSize: 192 })), { seed: 500 + seed });
        train(ctx.engine, base, { general: generalData(), safety: [] }, 0, s.baseSteps, s.batchSize, 10 * seed + 1, 'base', pad, 3e-3);
        const baseValues = parameterValues(base);
        const fineTune = (share: number, langs: readonly string[] | undefined, stage: string, stream: number) => {
          const m = withWeights(base, baseValues);
          train(ctx.engine, m, { general: generalData(langs), safety: safetyData(langs) }, share, s.finetuneSteps, s.batchSize, 1000 * seed + stream, stage, pad, FINETUNE_LR);
          const values = parameterValues(m);
          m.dispose();
          return values;
        };
        const mixes: Record<string, Map<string, Float32Array>> = { '0% safety': fineTune(0, undefined, 'mix-0', 1), '15% safety': fineTune(0.15, undefined, 'mix-15', 2), '100% safety': fineTune(1, undefined, 'mix-100', 3) };
        const mono = LANGUAGES.map((l, i) => fineTune(0.15, [l.code], `mono-${l.code}`, 10 + i));
        const models: [string, () => Map<string, Float32Array>][] = Object.entries(mixes).map(([name, v]) => [name, () => v]);
        const layers = base.config.numLayers;
        const merge = (spec: InMemoryMerge, inputs: Map<string, Float32Array>[], withBase: boolean) => () => mergeWeights(ctx.engine, spec, inputs, { numLayers: layers, ...(withBase ? { base: baseValues } : {}) });
        const pair = [mixes['0% safety'], mixes['100% safety']];
        for (const w of MERGE_WEIGHTS) {
          models.push([`linear ${w}`, merge({ method: 'linear', weights: [1 - w, w] }, pair, false)]);
          models.push([`slerp ${w}`, merge({ method: 'slerp', parameters: { t: w }, baseIndex: 0 }, pair, false)]);
          models.push([`ties ${w}`, merge({ method: 'ties', modelParameters: [{ weight: 1 - w, density: 0.5 }, { weight: w, density: 0.5 }] }, pair, true)]);
          // The DARE paper's rescale by 1/density (mergekit's default matches the L1 norm instead).
          models.push([`dare-ties ${w}`, merge({ method: 'dare-ties', parameters: { rescale_by_density: true }, modelParameters: [{ weight: 1 - w, density: 0.5 }, { weight: w, density: 0.5 }], seed }, pair, true)]);
        }
        models.push(['language ties (6 × 15%)', merge({ method: 'ties', modelParameters: mono.map(() => ({ weight: 1 / mono.length, density: 0.5 })) }, mono, true)]);

        const answer = async (m: PretrainedModel, prompts: readonly string[]) =>
          greedyTexts(new LocalTextGenerator('model', m, tok, 64), prompts, 24);
        const baseline = await answer(base, heldSums.map((p) => p.prompt));
        const rows: MixMergeRow[] = [];
        for (const [name, values] of models) {
          const m = withWeights(base, values());
          try {
            const harmAnswers = await answer(m, harmEval.map((r) => r.prompt));
            const rates = harmRates(harmEval, await harmJudge.classifyMany(harmEval.map((r, i) => ({ prompt: r.prompt, completion: harmAnswers[i], row: r }))), { seed, resamples: 200 });
            const general = await answer(m, heldSums.map((p) => p.prompt));
            const items = (swap: boolean) => heldSums.map((p, i) => ({ prompt: p.prompt, a: swap ? baseline[i] : general[i], b: swap ? general[i] : baseline[i], row: p as never }));
            const g2 = await judge.compareMany(items(false));
            const g1 = await judge.compareMany(items(true));
            const battles = heldSums.map((_, i) => promptBattles(g1[i], g2[i])).filter((b): b is number[] => b !== null);
            const [winLow, winHigh] = bootstrapInterval(battles, { seed, resamples: 500 });
            rows.push({ model: name, harm: rates.overall.rate, harmGlobal: rates.global?.rate ?? NaN, harmLocal: rates.local?.rate ?? NaN, winRate: winRateOf(battles), winLow, winHigh });
          } finally {
            m.dispose();
          }
        }
        base.dispose();
        perSeed.push(rows);
        ctx.reporter.info(`mix-vs-merge: seed ${seed}: ${rows.map((r) => `${r.model} harm ${(100 * r.harm).toFixed(0)}% win ${(100 * r.winRate).toFixed(0)}%`).join('; ')}`);
      }
    } finally {
      await harmJudge.dispose();
      await judge.dispose();
    }
    const mean = (name: string, key: keyof MixMergeRow) => perSeed.reduce((a, rows) => a + (rows.find((r) => r.model === name)![key] as number), 0) / perSeed.length;
    const rows: MixMergeRow[] = perSeed[0].map((r) => ({
      model: r.model,
      harm: mean(r.model, 'harm'),
      harmGlobal: mean(r.model, 'harmGlobal'),
      harmLocal: mean(r.model, 'harmLocal'),
      winRate: mean(r.model, 'winRate'),
      winLow: mean(r.model, 'winLow'),
      winHigh: mean(r.model, 'winHigh'),
    }));
    const front = rows.filter((r) => !rows.some((q) => q.harm <= r.harm && q.winRate >= r.winRate && (q.harm < r.harm || q.winRate > r.winRate))).map((r) => r.model);
    const mix15 = rows.find((r) => r.model === '15% safety')!;
    const beatsMix = (prefix: string) => rows.filter((r) => r.model.startsWith(prefix) && r.harm < mix15.harm && r.winRate > mix15.winRate).map((r) => r.model);
    const everySeed = (f: (rows: readonly MixMergeRow[]) => boolean) => `${perSeed.filter(f).length}/${perSeed.length} seeds`;
    const claims = {
      safetyDataLowersHarm: everySeed((rs) => rs.find((r) => r.model === '100% safety')!.harm < rs.find((r) => r.model === '0% safety')!.harm),
      mixLowersHarm: everySeed((rs) => rs.find((r) => r.model === '15% safety')!.harm < rs.find((r) => r.model === '0% safety')!.harm),
      slerpBeatsMixOnBoth: beatsMix('slerp').join(', ') || 'none',
      linearBeatsMixOnBoth: beatsMix('linear').join(', ') || 'none',
      tiesBeatsMixOnBoth: beatsMix('ties').join(', ') || 'none',
      dareTiesBeatsMixOnBoth: beatsMix('dare-ties').join(', ') || 'none',
      languageMergeVsMix: (() => {
        const l = rows.find((r) => r.model.startsWith('language'))!;
        return `harm ${(100 * l.harm).toFixed(1)}% vs ${(100 * mix15.harm).toFixed(1)}%, win-rate ${(100 * l.winRate).toFixed(1)}% vs ${(100 * mix15.winRate).toFixed(1)}%`;
      })(),
    };
    const result: MixVsMergeResult = { size, seeds, rows, perSeed, front, claims };
    writeReport(out, result);
    return result;
  },
  summarize(r) {
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    return [
      `mix-vs-merge (${r.size}, seeds ${r.seeds.join(', ')}): harm (overall / global / local) and win-rate against the base, means over seeds`,
      ...r.rows.map((x) => `  ${x.model.padEnd(24)} harm ${pct(x.harm)} / ${pct(x.harmGlobal)} / ${pct(x.harmLocal)} · win-rate ${pct(x.winRate)} [${pct(x.winLow)}, ${pct(x.winHigh)}]${r.front.includes(x.model) ? ' · front' : ''}`),
      `  beat the 15% mix on both axes — slerp: ${r.claims.slerpBeatsMixOnBoth}; linear: ${r.claims.linearBeatsMixOnBoth}; ties: ${r.claims.tiesBeatsMixOnBoth}; dare-ties: ${r.claims.dareTiesBeatsMixOnBoth}`,
      `  language merge vs 15% mix: ${r.claims.languageMergeVsMix}`,
    ];
  },
};

function writeReport(out: string, r: MixVsMergeResult): void {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const md = [
    '# Mix data or merge models? (toy world)',
    '',
    `Seeds ${r.seeds.join(', ')}; means over seeds. Harm: share of greedy answers to held-out phrasings of harmful requests that do not refuse (lower is better), global and local harms separately. Win-rate: answers to held-out sums against the base model's, toy judge in both orders, ties half (the interval is the mean of the per-seed bootstrap 95% intervals).`,
    '',
    '| model | harm | global | local | win-rate vs base | on the front |',
    '|---|---|---|---|---|---|',
    ...r.rows.map((x) => `| ${x.model} | ${pct(x.harm)} | ${pct(x.harmGlobal)} | ${pct(x.harmLocal)} | ${pct(x.winRate)} [${pct(x.winLow)}, ${pct(x.winHigh)}] | ${r.front.includes(x.model) ? 'yes' : ''} |`),
    '',
    '## Claims',
    '',
    ...Object.entries(r.claims).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '![harm against win-rate](report.png)',
    '',
  ].join('\n');
  writeFileSync(join(out, 'report.md'), md);
  writeFileSync(join(out, 'summary.json'), JSON.stringify(r, null, 2) + '\n');
  const group = (m: string) => (m.includes('safety') ? 'data mixes' : m.startsWith('language') ? 'language merge' : m.split(' ')[0]);
  const svg = scatterSvg(
    'mix data or merge models (toy world)',
    'harmful-generation rate (lower is better)',
    'win-rate against the base (higher is better)',
    [...r.rows.map((x) => ({ x: x.harm, y: x.winRate, group: group(x.model), label: x.model.replace(' safety', '') })), ...r.rows.filter((x) => r.front.includes(x.model)).map((x) => ({ x: x.harm, y: x.winRate, group: 'Pareto front' }))],
    'Pareto front',
  );
  writeFileSync(join(out, 'report.svg'), svg);
  const png = svgToPng(svg);
  if (png) writeFileSync(join(out, 'report.png'), png);
}
