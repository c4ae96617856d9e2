import { benchModel, median, Rng, tf, type Engine } from '@aya-fw/core';
import { rlooAdvantages } from './advantages';
import type { PolicyGradientInputs } from './losses';
import { frozenLogps, rollout, sequenceLogps, type OnlinePrompt } from './rollout';

/** What `aya-fw bench rl` measured: one full RLOO step and where its time goes. */
export interface BenchRlResult {
  readonly backend: string;
  readonly params: number;
  readonly prompts: number;
  readonly k: number;
  readonly newTokens: number;
  readonly steps: number;
  /** Median seconds of a whole step and of its phases. */
  readonly stepSeconds: number;
  readonly phases: { readonly generate: number; readonly score: number; readonly reference: number; readonly update: number };
  /** New tokens sampled per second of whole steps. */
  readonly sampledTokensPerSecond: number;
  /** prompt + completion tokens per second of whole steps (each processed by sampling, the two frozen passes and the update). */
  readonly tokensPerSecond: number;
  readonly tensorsLeakedPerStep: number;
}

/**
 * One RL step as the online trainers run it, on a benchmark model (a `config.json`, random
 * weights): sample k completions of each prompt with the KV cache, score them (a programmatic
 * reward on token ids), the policy's and the reference's log-probs without gradients, RLOO
 * advantages, and one update through the `reinforce` loss and `Engine.trainStep`.
 */
export function benchRl(engine: Engine, options: { model: string; prompts: number; k: number; newTokens: number; steps: number; promptLength?: number }): BenchRlResult {
  const policy = benchModel(options.model);
  const reference = benchModel(options.model);
  for (const v of reference.namedParameters().values()) v.trainable = false;
  const optimizer = engine.createOptimizer({ optimizer: 'adam', config: { learningRate: 1e-5 } });
  const loss = engine.prepareLoss<PolicyGradientInputs>('reinforce', {}, 'bench rl');
  try {
    const rng = new Rng(5);
    const vocab = policy.config.vocabSize;
    const prompts: OnlinePrompt[] = Array.from({ length: options.prompts }, (_, i) => ({
      row: { prompt: '' },
      ids: Array.from({ length: options.promptLength ?? 16 }, () => 6 + Math.floor(rng.next() * (vocab - 6))),
      where: `prompt ${i}`,
    }));
    const variables = policy.trainableVariables();
    const times: { step: number; generate: number; score: number; reference: number; update: number }[] = [];
    let sampled = 0;
    let processed = 0;
    let live = 0;
    const leaks: number[] = [];
    for (let step = 0; step <= options.steps; step++) {
      const t0 = performance.now();
      const r = rollout(policy, undefined, prompts, { k: options.k, maxNewTokens: options.newTokens, temperature: 1, topP: 1, topK: 0, stopIds: [], padId: 0, seed: step });
      const t1 = performance.now();
      const rewards = r.completionIds.map((ids) => ids.filter((id) => id % 2 === 0).length / Math.max(ids.length, 1));
      const advantages = rlooAdvantages(rewards, options.k);
      const t2 = performance.now();
      frozenLogps(policy, r.sequences, 0, true);
      const ref = frozenLogps(reference, r.sequences, 0);
      const t3 = performance.now();
      engine.trainStep({
        stage: 'bench-rl',
        step: step + 1,
        optimizer,
        variables,
        loss: () => {
          const { logps, mask } = sequenceLogps(policy, r.sequences, 0);
          return loss.compute({ logps, mask, refLogps: tf.tensor2d(ref.values, ref.shape), advantages: tf.tensor1d(advantages), maxCompletionLength: options.newTokens });
        },
      });
      const t4 = performance.now();
      if (step === 0) {
        live = tf.memory().numTensors;
        continue; // warm-up: kernels compiled, optimizer state created
      }
      leaks.push(tf.memory().numTensors - live);
      live = tf.memory().numTensors;
      times.push({ step: (t4 - t0) / 1000, generate: (t1 - t0) / 1000, score: (t2 - t1) / 1000, reference: (t3 - t2) / 1000, update: (t4 - t3) / 1000 });
      sampled += r.completionIds.reduce((n, t) => n + t.length, 0);
      processed += r.sequences.reduce((n, s) => n + s.ids.length, 0);
    }
    const total = times.reduce((n, t) => n + t.step, 0);
    return {
      backend: tf.getBackend(),
      params: [...policy.namedParameters().values()].reduce((n, v) => n + v.size, 0),
      prompts: options.prompts,
      k: options.k,
      newTokens: options.newTokens,
      steps: options.steps,
      stepSeconds: median(times.map((t) => t.step)),
      phases: { generate: median(times.map((t) => t.generate)), score: median(times.map((t) => t.score)), reference: median(times.map((t) => t.reference)), update: median(times.map((t) => t.update)) },
      sampledTokensPerSecond: sampled / total,
      tokensPerSecond: processed / total,
      tensorsLeakedPerStep: Math.max(0, ...leaks),
    };
  } finally {
    optimizer.dispose();
    policy.dispose();
    reference.dispose();
  }
}
