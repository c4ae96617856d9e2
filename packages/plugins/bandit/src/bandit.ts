import { Rng, tf, z, type Engine, type PairwiseLogps } from '@aya-fw/core';

const probabilities = z
  .array(z.number().nonnegative())
  .min(2)
  .refine((p) => Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-6, 'expected probabilities that sum to 1');

/**
 * Options of the K-armed bandit of the CoPG paper (§6). Defaults are the paper's:
 * R = (2.5, 2, 1), μ1 = (0.1, 0.2, 0.7), μ2 = (0.05, 0.05, 0.9), β = 0.5, uniform π_ref,
 * 10⁴ pairs, Adam lr 1e-3, batch 512, 100 epochs.
 */
export const BanditConfigSchema = z
  .object({
    rewards: z.array(z.number()).min(2).default([2.5, 2, 1]).describe('Reward of each arm.'),
    mu1: probabilities.default([0.1, 0.2, 0.7]).describe('Distribution of the first completion y of each pair.'),
    mu2: probabilities.default([0.05, 0.05, 0.9]).describe('Distribution of the second completion y\'.'),
    reference: probabilities.optional().describe('Reference policy (default uniform); the policy starts here.'),
    beta: z.number().positive().default(0.5).describe('β of the regularised objective J(π) = E_π[R] − β·KL(π‖π_ref) that regret is measured on.'),
    pairs: z.number().int().positive().default(10_000).describe('Number of off-policy pairs.'),
    loss: z.string().default('copg').describe('Any registered loss whose inputKind is `pairwise` (`copg`, `dpo`, `ipo`, …).'),
    lossConfig: z.record(z.string(), z.unknown()).default({ beta: 0.5 }).describe('Options passed to the loss (its own schema validates them).'),
    preference: z.enum(['reward', 'bradley-terry']).default('reward').describe('How ranking losses get chosen/rejected from a pair: `reward` puts the higher-reward arm first (ties in random order); `bradley-terry` samples y ≻ y\' with probability σ(R(y) − R(y\')).'),
    optimizer: z.string().default('adam'),
    optimizerConfig: z.record(z.string(), z.unknown()).default({ learningRate: 1e-3 }),
    batchSize: z.number().int().positive().default(512),
    epochs: z.number().int().positive().default(100),
  })
  .strict()
  .refine((c) => c.mu1.length === c.rewards.length && c.mu2.length === c.rewards.length, {
    message: 'rewards, mu1 and mu2 must have one entry per arm',
  })
  .refine((c) => !c.reference || c.reference.length === c.rewards.length, { message: 'reference must have one entry per arm' });
export type BanditConfig = z.infer<typeof BanditConfigSchema>;

/** A regularised policy's value and its distance to the optimum. */
export interface BanditOutcome {
  /** Final policy probabilities. */
  readonly policy: number[];
  /** The optimal regularised policy π* ∝ π_ref·exp(R/β). */
  readonly optimal: number[];
  /** J(π*) − J(π̂) ≥ 0. */
  readonly regret: number;
  /** Regret after each epoch. */
  readonly regretCurve: number[];
  readonly steps: number;
  readonly finalLoss: number;
  /** The loss's own metrics at the last step (`rewards/accuracy`, …). */
  readonly finalMetrics: Readonly<Record<string, number>>;
}

/** J(π) = Σ π R − β Σ π log(π/π_ref). */
export function regularizedValue(policy: readonly number[], rewards: readonly number[], reference: readonly number[], beta: number): number {
  let j = 0;
  for (let i = 0; i < policy.length; i++) {
    if (policy[i] > 0) j += policy[i] * (rewards[i] - beta * Math.log(policy[i] / reference[i]));
  }
  return j;
}

/** π* ∝ π_ref·exp(R/β), the maximiser of J. */
export function optimalPolicy(rewards: readonly number[], reference: readonly number[], beta: number): number[] {
  const logits = rewards.map((r, i) => Math.log(reference[i]) + r / beta);
  const m = Math.max(...logits);
  const w = logits.map((l) => Math.exp(l - m));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

/** The off-policy pairs: arms of y ~ μ1 and y' ~ μ2. */
export function samplePairs(config: BanditConfig, rng: Rng): { first: Int32Array; second: Int32Array } {
  const first = new Int32Array(config.pairs);
  const second = new Int32Array(config.pairs);
  for (let i = 0; i < config.pairs; i++) {
    first[i] = rng.categorical(config.mu1);
    second[i] = rng.categorical(config.mu2);
  }
  return { first, second };
}

/** Orders each pair (chosen first) for ranking losses, by reward or by a Bradley-Terry draw. */
export function orientPairs(pairs: { first: Int32Array; second: Int32Array }, config: BanditConfig, rng: Rng) {
  const chosen = new Int32Array(pairs.first.length);
  const rejected = new Int32Array(pairs.first.length);
  const R = config.rewards;
  for (let i = 0; i < chosen.length; i++) {
    const a = pairs.first[i];
    const b = pairs.second[i];
    const d = R[a] - R[b];
    const firstWins = config.preference === 'bradley-terry' ? rng.next() < 1 / (1 + Math.exp(-d)) : d > 0 || (d === 0 && rng.next() < 0.5);
    chosen[i] = firstWins ? a : b;
    rejected[i] = firstWins ? b : a;
  }
  return { chosen, rejected };
}

/**
 * Trains a softmax policy over the arms with a registered pairwise loss through the
 * engine (loss and optimizer hooks, `trainStep`), and measures its regret.
 */
export function trainBandit(engine: Engine, config: BanditConfig, options: { seed: number; stage: string }): BanditOutcome {
  const loss = engine.prepareLoss<PairwiseLogps>(config.loss, config.lossConfig, `${options.stage}: lossConfig`, { inputKind: 'pairwise', stage: options.stage });
  const K = config.rewards.length;
  const reference = config.reference ?? Array.from({ length: K }, () => 1 / K);
  const rng = new Rng(options.seed);
  // Every loss sees the same pairs, ranked; losses that use rewards (CoPG) are symmetric in the pair.
  const { chosen: first, rejected: second } = orientPairs(samplePairs(config, rng), config, rng);

  const logRef = tf.tensor1d(reference.map(Math.log));
  const logits = tf.variable(logRef, true, `${options.stage}/logits`);
  const rewards = tf.tensor1d(config.rewards);
  const optimizer = engine.createOptimizer({ optimizer: config.optimizer, config: config.optimizerConfig, where: `${options.stage}: optimizerConfig` });
  const stepsPerEpoch = Math.ceil(config.pairs / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const regretCurve: number[] = [];
  const optimal = optimalPolicy(config.rewards, reference, config.beta);
  const bestValue = regularizedValue(optimal, config.rewards, reference, config.beta);
  let step = 0;
  let finalLoss = NaN;
  let finalMetrics: Readonly<Record<string, number>> = {};
  const policy = () => {
    const probs = tf.softmax(logits);
    const values = Array.from(probs.dataSync() as Float32Array);
    probs.dispose();
    return values;
  };
  try {
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const order = rng.permutation(config.pairs);
      for (let start = 0; start < config.pairs; start += config.batchSize) {
        const idx = order.slice(start, start + config.batchSize);
        const a = oneHot(idx.map((i) => first[i]), K);
        const b = oneHot(idx.map((i) => second[i]), K);
        step++;
        const info = engine.trainStep({
          stage: options.stage,
          step,
          totalSteps,
          optimizer,
          variables: [logits],
          loss: () => {
            const logPi = tf.logSoftmax(logits);
            const pick = (oneHot: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(oneHot, v), 1) as tf.Tensor1D;
            const inputs: PairwiseLogps = {
              policyChosen: pick(a, logPi),
              policyRejected: pick(b, logPi),
              referenceChosen: pick(a, logRef),
              referenceRejected: pick(b, logRef),
              chosenLengths: tf.onesLike(pick(a, logRef)),
              rejectedLengths: tf.onesLike(pick(b, logRef)),
              chosenRewards: pick(a, rewards),
              rejectedRewards: pick(b, rewards),
            };
            return loss.compute(inputs);
          },
        });
        a.dispose();
        b.dispose();
        finalLoss = info.loss;
        finalMetrics = info.metrics;
      }
      regretCurve.push(bestValue - regularizedValue(policy(), config.rewards, reference, config.beta));
    }
    const final = policy();
    const regret = bestValue - regularizedValue(final, config.rewards, reference, config.beta);
    return { policy: final, optimal, regret, regretCurve, steps: step, finalLoss, finalMetrics };
  } finally {
    optimizer.dispose();
    logits.dispose();
    logRef.dispose();
    rewards.dispose();
  }
}

/** A constant [n, K] float one-hot matrix (built in JS: no gather, whose gradient wasm lacks). */
function oneHot(arms: readonly number[], K: number): tf.Tensor2D {
  const data = new Float32Array(arms.length * K);
  arms.forEach((arm, i) => (data[i * K + arm] = 1));
  return tf.tensor2d(data, [arms.length, K]);
}
