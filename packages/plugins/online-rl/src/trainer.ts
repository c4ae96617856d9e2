import {
  AyaError,
  finite,
  InterruptedError,
  AyaOptimizer,
  generate,
  latestCheckpoint,
  learningRateAt,
  loadPretrained,
  lossContribution,
  MetricsLog,
  paddingTokenId,
  prepareAdapter,
  readPromptRows,
  resolveInput,
  resumeLatest,
  rewardContributions,
  Rewards,
  Rng,
  savePretrained,
  saveCheckpoint,
  stopTokenIds,
  tf,
  Tokenizer,
  trainingContributions,
  UsageError,
  type PretrainedModel,
  type RewardValue,
  type TrainerContext,
  type TrainerDefinition,
  type z,
} from '@aya-fw/core';
import { join } from 'node:path';
import { klShapedRewards, meanStd } from './advantages';
import type { OnlineConfig } from './config';
import type { PolicyGradientInputs } from './losses';
import { frozenLogps, rollout, sequenceLogps, type OnlinePrompt, type Rollout } from './rollout';

/** State an estimator carries from batch to batch (checkpointed with the weights). */
export type EstimatorState = Readonly<Record<string, number | undefined>>;

/** How an online trainer turns a batch's rewards into advantages. */
export interface Estimator<C extends OnlineConfig> {
  /** β of the sequence-level KL-shaped reward R = r − β·Σ(log π_old − log π_ref) (0: none). */
  rewardBeta(config: C): number;
  /** Whether the loss takes the reference log-probs (GRPO's k3 term). */
  lossNeedsReference(lossConfig: Readonly<Record<string, unknown>>): boolean;
  advantages(rewards: readonly RewardValue[], config: C, state: EstimatorState): { advantages: number[]; state: EstimatorState };
}

/** What an online trainer is: an id, its options and its estimator. */
export interface OnlineTrainerSpec<C extends OnlineConfig> {
  readonly id: string;
  readonly description: string;
  readonly configSchema: z.ZodType<C>;
  readonly estimator: Estimator<C>;
}

/**
 * Defines an online RL trainer: each step samples k completions of a batch of prompts from the
 * current policy (KV cache, seeded by the run seed and the step, so a resumed run samples the
 * same), scores them with the rewards, computes the reference's log-probs without gradients,
 * turns rewards into advantages with the estimator, and updates the policy `numIterations` times
 * through the loss hooks (`loss`, `processLoss`) and `Engine.trainStep`. Metrics go to JSONL and
 * TensorBoard, checkpoints carry the estimator's state, and `--resume` continues exactly.
 */
export function defineOnlineTrainer<C extends OnlineConfig>(spec: OnlineTrainerSpec<C>): TrainerDefinition<C> {
  return {
    id: spec.id,
    description: spec.description,
    configSchema: spec.configSchema,
    contributions: (c) => [...trainingContributions(c), lossContribution(c, 'policy-gradient'), ...rewardContributions(c.rewards)],
    run: (ctx) => runOnline(ctx, spec.estimator),
  };
}

async function readPrompts(ctx: TrainerContext<OnlineConfig>, value: string, tokenizer: Tokenizer, maxPrompt: number): Promise<OnlinePrompt[]> {
  const c = ctx.config;
  const file = resolveInput(ctx, value, 'prompts');
  const rows = await readPromptRows(ctx.engine, file);
  if (rows.length === 0) throw new UsageError(`${file}: no prompts`);
  return rows.map((row, i) => {
    const where = `${file} row ${i + 1}`;
    let ids = tokenizer.encode(row.prompt);
    if (ids.length > maxPrompt) {
      if (c.truncatePrompts === 'error') {
        throw new UsageError(`${where}: the prompt has ${ids.length} tokens; at most ${maxPrompt} fit (maxPromptLength, or the model's context minus maxNewTokens); set truncatePrompts: left to keep its end`);
      }
      ids = ids.slice(ids.length - maxPrompt);
    }
    return { row, ids, where };
  });
}

async function runOnline<C extends OnlineConfig>(ctx: TrainerContext<C>, estimator: Estimator<C>) {
  const c = ctx.config;
  const { engine, stage } = ctx;
  const loss = engine.prepareLoss<PolicyGradientInputs>(c.loss, c.lossConfig, `${stage}: lossConfig`, { inputKind: 'policy-gradient', stage });
  const modelDir = resolveInput(ctx, c.model, 'model');
  const tokenizer = Tokenizer.fromPretrained(modelDir);
  const rewards = Rewards.create(engine, c.rewards, (path) => resolveInput(ctx, path, 'model'));
  const rewardBeta = estimator.rewardBeta(c);
  const needsReference = rewardBeta > 0 || estimator.lossNeedsReference(loss.config as Record<string, unknown>);
  let policy: PretrainedModel | undefined;
  let reference: PretrainedModel | undefined;
  let log: MetricsLog | undefined;
  let optimizer: AyaOptimizer | undefined;
  try {
    policy = loadPretrained(modelDir);
    const maxPrompt = c.maxPromptLength ?? policy.config.maxPositions - c.maxNewTokens;
    if (maxPrompt < 1) throw new UsageError(`${stage}: maxNewTokens ${c.maxNewTokens} leaves no room for a prompt in the model's context of ${policy.config.maxPositions}`);
    const prompts = await readPrompts(ctx, c.prompts, tokenizer, maxPrompt);
    const evalPrompts = c.evalPrompts ? await readPrompts(ctx, c.evalPrompts, tokenizer, maxPrompt) : [];
    if (needsReference) reference = loadPretrained(c.reference ? resolveInput(ctx, c.reference, 'model') : modelDir, { trainable: false });
    prepareAdapter(engine, policy, c.adapter, stage);
    const model = policy;
    const padId = paddingTokenId(model, tokenizer);
    const stopIds = [...stopTokenIds(model, tokenizer), ...c.stopTokens.map((t) => tokenizer.tokenToId(t) ?? failStop(stage, t))];
    optimizer = engine.createOptimizer({ optimizer: c.optimizer, config: c.optimizerConfig, where: `${stage}: optimizerConfig` });
    if (!(optimizer instanceof AyaOptimizer)) throw new UsageError(`optimizer '${c.optimizer}' must extend AyaOptimizer to be checkpointed`);
    const baseLr = optimizer.learningRate;
    const variables = model.trainableVariables();
    if (variables.length === 0) throw new UsageError(`${stage}: no trainable parameters`);

    const perStep = c.generationBatchSize / c.numGenerations;
    const totalUpdates = c.maxSteps * c.numIterations;
    const saved = resumeLatest(engine, ctx.outDir, stage, model, optimizer, ctx.resume);
    let state: EstimatorState = (saved?.extra?.estimator as EstimatorState | undefined) ?? {};
    const resumedFrom = saved?.step;
    const first = (resumedFrom ?? 0) + 1;
    log = new MetricsLog(ctx.outDir, { resumeFromStep: resumedFrom });
    let order: { epoch: number; perm: number[] } | undefined;
    const promptAt = (position: number) => {
      const epoch = Math.floor(position / prompts.length);
      if (order?.epoch !== epoch) order = { epoch, perm: new Rng(ctx.seed * 7919 + epoch).permutation(prompts.length) };
      return prompts[order.perm[position % prompts.length]];
    };
    const last: { loss: number; reward: number; eval: Record<string, number> } = { loss: saved?.loss ?? NaN, reward: NaN, eval: {} };
    const checkpoint = (step: number) =>
      saveCheckpoint(engine, ctx.outDir, model, optimizer!, { step, totalSteps: c.maxSteps, seed: ctx.seed, loss: last.loss, stage, extra: { estimator: state } }, { keep: c.saveTotalLimit });
    const evaluate = async (step: number) => {
      if (!evalPrompts.length) return;
      const metrics = await greedyReward(model, tokenizer, evalPrompts, rewards, { maxNewTokens: c.maxNewTokens, stopIds, padId, batchSize: c.generationBatchSize });
      await engine.hooks.evaluate.promise({ stage, step, metrics });
      log!.write(step, Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`eval_${k}`, v])));
      last.eval = metrics;
    };
    if (resumedFrom === undefined) await evaluate(0);
    let done = first - 1;
    for (let step = first; step <= c.maxSteps; step++) {
      const batch = Array.from({ length: perStep }, (_, j) => promptAt((step - 1) * perStep + j));
      const genStart = performance.now();
      const r = rollout(model, tokenizer, batch, {
        k: c.numGenerations,
        maxNewTokens: c.maxNewTokens,
        temperature: c.temperature,
        topP: c.topP,
        topK: c.topK,
        stopIds,
        padId,
        seed: ctx.seed * 1_000_003 + step,
      });
      const genSeconds = (performance.now() - genStart) / 1000;
      const scores = await rewards.score(
        r.prompts.map((p, i) => ({ prompt: p.row.prompt, completion: r.texts[i], row: p.row })),
        (i) => `${r.prompts[i].where} (completion ${(i % c.numGenerations) + 1} of ${c.numGenerations}, step ${step})`,
      );
      const raw = scores.total.map((v, i) => (v === null ? null : v - (r.truncated[i] ? c.truncatedPenalty : 0)));
      const old = frozenLogps(model, r.sequences, padId, true);
      const ref = reference ? frozenLogps(reference, r.sequences, padId) : undefined;
      const kl = sequenceKl(old.values, ref?.values, old.shape);
      const shaped = rewardBeta > 0 ? klShapedRewards(raw, kl, rewardBeta) : raw;
      const estimated = estimator.advantages(shaped, c, state);
      state = estimated.state;

      const updateStart = performance.now();
      let info: ReturnType<typeof engine.trainStep> | undefined;
      for (let it = 0; it < c.numIterations; it++) {
        const update = (step - 1) * c.numIterations + it + 1;
        info = engine.trainStep({
          stage,
          step: update,
          totalSteps: totalUpdates,
          optimizer,
          variables,
          clipGradNorm: c.maxGradNorm > 0 ? c.maxGradNorm : undefined,
          learningRate: learningRateAt(baseLr, c.schedule, update - 1, totalUpdates),
          loss: () => {
            const { logps, mask } = sequenceLogps(model, r.sequences, padId);
            return loss.compute({
              logps,
              mask,
              oldLogps: c.numIterations > 1 ? tf.tensor2d(old.values, old.shape) : undefined,
              refLogps: ref ? tf.tensor2d(ref.values, ref.shape) : undefined,
              advantages: tf.tensor1d(estimated.advantages),
              maxCompletionLength: c.maxNewTokens,
            });
          },
        });
      }
      const updateSeconds = (performance.now() - updateStart) / 1000;
      const reward = meanStd(raw);
      last.loss = info!.loss;
      last.reward = reward.mean;
      if (step % c.logEvery === 0 || step === c.maxSteps) {
        log.write(step, {
          loss: info!.loss,
          learning_rate: info!.learningRate ?? baseLr,
          grad_norm: info!.gradNorm ?? NaN,
          ...batchMetrics(r, scores.each, raw, kl, c.numGenerations),
          entropy: old.entropy ?? NaN,
          ...(state.baseline !== undefined ? { baseline: state.baseline } : {}),
          'tokens_per_second/generation': r.completionIds.reduce((n, t) => n + t.length, 0) / genSeconds,
          'tokens_per_second/update': (c.numIterations * r.sequences.reduce((n, s) => n + s.ids.length, 0)) / updateSeconds,
          ...info!.metrics,
        });
      }
      if (c.evalEvery > 0 && step % c.evalEvery === 0 && step !== c.maxSteps) await evaluate(step);
      done = step;
      await engine.stopIfInterrupted(`${stage} stopped after step ${step} of ${c.maxSteps}`, () => checkpoint(step));
      const stop = engine.shouldStop(info!);
      if ((c.checkpointEvery > 0 && step % c.checkpointEvery === 0 && step !== c.maxSteps) || stop) await checkpoint(step);
      if (stop) break;
    }
    await evaluate(done);
    if (done >= first) await checkpoint(done);
    const out = join(ctx.outDir, 'model');
    savePretrained(model, out, { dtype: c.saveDtype, overwrite: true });
    for (const m of model.attached.values()) m.save?.(join(ctx.outDir, 'adapters', m.name));
    return {
      metrics: { ...finite({ train_loss: last.loss, reward: last.reward }), steps: done, ...Object.fromEntries(Object.entries(last.eval).map(([k, v]) => [`eval_${k}`, v])) },
      artifacts: { model: out, metrics: join(ctx.outDir, 'metrics.jsonl') },
    };
  } catch (err) {
    if (err instanceof AyaError && !(err instanceof InterruptedError)) {
      const kept = latestCheckpoint(ctx.outDir);
      const Same = err instanceof UsageError ? UsageError : AyaError;
      throw new Same(`${stage}: ${err.message}${kept ? `; the last good checkpoint is ${kept}` : ''}`, { cause: err });
    }
    throw err;
  } finally {
    log?.close();
    optimizer?.dispose();
    policy?.dispose();
    reference?.dispose();
    rewards.dispose();
  }
}

function failStop(stage: string, token: string): never {
  throw new UsageError(`${stage}: stopTokens: '${token}' is not a token of the policy's tokenizer`);
}

/** Σ_t (log π_old − log π_ref) over each completion (0 without a reference). */
function sequenceKl(old: Float32Array, ref: Float32Array | undefined, [b, t]: [number, number]): number[] {
  return Array.from({ length: b }, (_, i) => {
    if (!ref) return 0;
    let sum = 0;
    for (let j = i * t; j < (i + 1) * t; j++) sum += old[j] - ref[j];
    return sum;
  });
}

/** Reward, per-reward, per-language, KL and length metrics of one batch. */
function batchMetrics(r: Rollout, each: Readonly<Record<string, readonly RewardValue[]>>, raw: readonly RewardValue[], kl: readonly number[], k: number): Record<string, number> {
  const reward = meanStd(raw);
  const lengths = r.completionIds.map((t) => t.length);
  const out: Record<string, number> = {
    reward: reward.mean,
    reward_std: reward.std,
    kl: kl.reduce((a, b) => a + b, 0) / kl.length,
    'completions/mean_length': lengths.reduce((a, b) => a + b, 0) / lengths.length,
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': r.truncated.filter(Boolean).length / r.truncated.length,
  };
  let zeroStd = 0;
  for (let g = 0; g < raw.length; g += k) if (k > 1 && meanStd(raw.slice(g, g + k)).std === 0) zeroStd++;
  if (k > 1) out.frac_reward_zero_std = zeroStd / (raw.length / k);
  for (const [name, values] of Object.entries(each)) {
    const m = meanStd(values);
    out[`rewards/${name}/mean`] = m.mean;
    out[`rewards/${name}/std`] = m.std;
  }
  return { ...out, ...rewardByLanguage(r.prompts, raw) };
}

/** `reward/<language>`: the mean reward of each language's completions (rows with a `language` column). */
function rewardByLanguage(prompts: readonly OnlinePrompt[], values: readonly RewardValue[]): Record<string, number> {
  const groups = new Map<string, RewardValue[]>();
  prompts.forEach((p, i) => {
    if (typeof p.row.language === 'string') groups.set(p.row.language, [...(groups.get(p.row.language) ?? []), values[i]]);
  });
  return Object.fromEntries([...groups].sort().map(([lang, v]) => [`reward/${lang}`, meanStd(v).mean]));
}

/** Mean reward of greedy completions of held-out prompts, overall and per language. */
export async function greedyReward(
  model: PretrainedModel,
  tokenizer: Tokenizer,
  prompts: readonly OnlinePrompt[],
  rewards: Rewards,
  o: { maxNewTokens: number; stopIds: readonly number[]; padId: number; batchSize: number },
): Promise<Record<string, number>> {
  const values: RewardValue[] = [];
  const stops = new Set(o.stopIds);
  for (let i = 0; i < prompts.length; i += o.batchSize) {
    const part = prompts.slice(i, i + o.batchSize);
    const out = generate(model, part.map((p) => p.ids), { maxNewTokens: o.maxNewTokens, eosTokenIds: o.stopIds, padTokenId: o.padId });
    const texts = out.tokens.map((t) => tokenizer.decode(t.filter((id) => !stops.has(id)), { skipSpecialTokens: true }));
    const scored = await rewards.score(part.map((p, j) => ({ prompt: p.row.prompt, completion: texts[j], row: p.row })), (j) => part[j].where);
    values.push(...scored.total);
  }
  return { reward: meanStd(values).mean, ...rewardByLanguage(prompts, values) };
}
