import { tf } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import banditPlugin, { BanditConfigSchema, optimalPolicy, orientPairs, regularizedValue, samplePairs, trainBandit } from '@aya-fw/plugin-bandit';
import copg from '@aya-fw/plugin-copg';
import dpo from '@aya-fw/plugin-dpo';
import optimizers from '@aya-fw/plugin-optimizers';
import { Rng } from '@aya-fw/core';

const plugins = [optimizers, dpo, copg, banditPlugin];

describe('bandit closed forms', () => {
  it('the optimal regularised policy is π_ref·exp(R/β) normalised, and maximises J', () => {
    const R = [2.5, 2, 1];
    const ref = [1 / 3, 1 / 3, 1 / 3];
    const pi = optimalPolicy(R, ref, 0.5);
    const z = Math.exp(5) + Math.exp(4) + Math.exp(2);
    expect(pi[0]).toBeCloseTo(Math.exp(5) / z, 12);
    expect(pi[2]).toBeCloseTo(Math.exp(2) / z, 12);
    // J(π*) = β·log Σ π_ref exp(R/β)
    expect(regularizedValue(pi, R, ref, 0.5)).toBeCloseTo(0.5 * Math.log(z / 3), 12);
    for (const other of [[0.8, 0.15, 0.05], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1]]) {
      expect(regularizedValue(other, R, ref, 0.5)).toBeLessThan(regularizedValue(pi, R, ref, 0.5));
    }
  });

  it('samples pairs from μ1 and μ2 and ranks them by reward', () => {
    const config = BanditConfigSchema.parse({ pairs: 20000 });
    const rng = new Rng(1);
    const pairs = samplePairs(config, rng);
    const share = (a: Int32Array, arm: number) => a.filter((x) => x === arm).length / a.length;
    expect(share(pairs.first, 2)).toBeCloseTo(0.7, 1);
    expect(share(pairs.second, 2)).toBeCloseTo(0.9, 1);
    const { chosen, rejected } = orientPairs(pairs, config, rng);
    for (let i = 0; i < chosen.length; i++) expect(config.rewards[chosen[i]]).toBeGreaterThanOrEqual(config.rewards[rejected[i]]);
  });
});

describe('bandit training', () => {
  it('CoPG reaches the optimal regularised policy; DPO and IPO do not (paper §6)', async () => {
    const engine = await createTestEngine({ plugins });
    const run = (loss: string, lossConfig: object) =>
      trainBandit(engine, BanditConfigSchema.parse({ loss, lossConfig, pairs: 4000, epochs: 40, optimizerConfig: { learningRate: 0.02 } }), { seed: 3, stage: loss });
    const before = liveTensors();
    const copgRun = run('copg', { beta: 0.5 });
    expect(copgRun.regret).toBeLessThan(1e-5);
    copgRun.policy.forEach((p, i) => expect(p).toBeCloseTo(copgRun.optimal[i], 3));
    expect(run('dpo', { beta: 0.5 }).regret).toBeGreaterThan(1e-2);
    expect(run('ipo', { tau: 0.5 }).regret).toBeGreaterThan(1e-2);
    expect(liveTensors()).toBe(before);
  });

  it('refuses a loss that does not take pairwise inputs', async () => {
    const engine = await createTestEngine({ plugins });
    const { definePlugin } = await import('@aya-fw/core');
    engine.use(definePlugin({ name: 'x', contributes: { losses: [{ id: 'xent', description: 'x', inputKind: 'token', compute: () => ({ loss: tf.scalar(0) }) }] } }));
    expect(() => trainBandit(engine, BanditConfigSchema.parse({ loss: 'xent' }), { seed: 0, stage: 's' })).toThrow(
      "s: loss 'xent' takes 'token' inputs; this trainer feeds 'pairwise' ones",
    );
  });

  it('validates its options', () => {
    expect(BanditConfigSchema.safeParse({ mu1: [0.5, 0.6, 0] }).success).toBe(false);
    expect(BanditConfigSchema.safeParse({ rewards: [1, 2] }).success).toBe(false);
  });
});
