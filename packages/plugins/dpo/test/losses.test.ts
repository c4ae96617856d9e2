import { tf, type PairwiseLogps } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import dpoPlugin, { DpoConfigSchema, dpoLoss, IpoConfigSchema, ipoLoss } from '@aya-fw/plugin-dpo';

// h(y_w) = (0.5, 0), h(y_l) = (−0.5, 0.5), so Δ = (1, −0.5); lengths (2, 4) and (1, 2).
const inputs = (): PairwiseLogps => ({
  policyChosen: tf.tensor1d([-1, -2]),
  policyRejected: tf.tensor1d([-3, -1]),
  referenceChosen: tf.tensor1d([-1.5, -2]),
  referenceRejected: tf.tensor1d([-2.5, -1.5]),
  chosenLengths: tf.tensor1d([2, 4]),
  rejectedLengths: tf.tensor1d([1, 2]),
});

const value = (t: tf.Tensor) => t.dataSync()[0];

beforeAll(() => createTestEngine());

describe('DPO', () => {
  it('matches the hand-computed sigmoid loss: mean(log(1+e^−0.1), log(1+e^0.05))', () => {
    const out = dpoLoss(inputs(), DpoConfigSchema.parse({ beta: 0.1 }));
    expect(value(out.loss)).toBeCloseTo(0.6814281540434286, 6);
    expect(value(out.metrics!['rewards/chosen'])).toBeCloseTo(0.1 * 0.25, 6);
    expect(value(out.metrics!['rewards/rejected'])).toBeCloseTo(0.1 * 0, 6);
    expect(value(out.metrics!['rewards/margin'])).toBeCloseTo(0.1 * 0.25, 6);
    expect(value(out.metrics!['rewards/accuracy'])).toBe(0.5);
    expect(value(out.metrics!['length/chosen'])).toBe(3);
  });

  it('with label smoothing ε = 0.2 adds ε·(log σ(z) − log σ(−z)) terms', () => {
    const out = dpoLoss(inputs(), DpoConfigSchema.parse({ beta: 0.1, labelSmoothing: 0.2 }));
    expect(value(out.loss)).toBeCloseTo(0.6864281540434287, 6);
  });

  it('length-averaged: h/|y| gives Δ̄ = (0.75, −0.25)', () => {
    const out = dpoLoss(inputs(), DpoConfigSchema.parse({ beta: 0.1, reduction: 'mean' }));
    expect(value(out.loss)).toBeCloseTo(0.68103772217616, 6);
  });
});

describe('IPO', () => {
  it('matches the hand-computed squared loss (Δ − 1/(2τ))² with τ = 0.5: mean(0, 2.25)', () => {
    expect(value(ipoLoss(inputs(), IpoConfigSchema.parse({ tau: 0.5 })).loss)).toBeCloseTo(1.125, 6);
    // TRL names IPO's τ `beta`: the same number, accepted under either name but not both.
    expect(IpoConfigSchema.parse({ beta: 0.5 })).toEqual(IpoConfigSchema.parse({ tau: 0.5 }));
    expect(IpoConfigSchema.parse({}).tau).toBe(0.1);
    expect(() => IpoConfigSchema.parse({ tau: 0.5, beta: 0.5 })).toThrow("give tau or beta (TRL's name for the same τ), not both");
  });

  it('length-averaged: mean((0.75 − 1)², (−0.25 − 1)²)', () => {
    expect(value(ipoLoss(inputs(), IpoConfigSchema.parse({ tau: 0.5, reduction: 'mean' })).loss)).toBeCloseTo((0.0625 + 1.5625) / 2, 6);
  });

  it('needs lengths for the mean reduction', () => {
    const { chosenLengths: _c, rejectedLengths: _r, ...noLengths } = inputs();
    expect(() => ipoLoss(noLengths, IpoConfigSchema.parse({ reduction: 'mean' }))).toThrow("reduction 'mean' needs chosenLengths and rejectedLengths");
  });
});

describe('mean reduction', () => {
  it.each([
    ['dpo', { beta: 0.3 }],
    ['ipo', { tau: 0.3 }],
  ])('%s: mean-reduced loss equals the sum-reduced loss on per-token-averaged log-likelihoods', async (id, config) => {
    const engine = await createTestEngine({ plugins: [dpoPlugin] });
    const x = inputs();
    const averaged: PairwiseLogps = {
      policyChosen: tf.div(x.policyChosen, x.chosenLengths!),
      referenceChosen: tf.div(x.referenceChosen, x.chosenLengths!),
      policyRejected: tf.div(x.policyRejected, x.rejectedLengths!),
      referenceRejected: tf.div(x.referenceRejected, x.rejectedLengths!),
    };
    const mean = engine.prepareLoss(id, { ...config, reduction: 'mean' }, id).compute(x);
    const sum = engine.prepareLoss(id, { ...config, reduction: 'sum' }, id).compute(averaged);
    expect(value(mean.loss)).toBeCloseTo(value(sum.loss), 6);
  });
});

describe('gradients', () => {
  it('DPO pushes chosen log-likelihoods up and rejected ones down, leaking no tensors', async () => {
    await createTestEngine();
    const x = inputs();
    const before = liveTensors();
    const grads = tf.tidy(() => {
      const g = tf.grads((pc: tf.Tensor, pr: tf.Tensor) =>
        dpoLoss({ ...x, policyChosen: pc as tf.Tensor1D, policyRejected: pr as tf.Tensor1D }, DpoConfigSchema.parse({ beta: 0.1 })).loss,
      )([x.policyChosen, x.policyRejected]);
      return g.map((t) => Array.from(t.dataSync()));
    });
    expect(liveTensors()).toBe(before);
    // dL/dh_w = −β·σ(−βΔ)/n per pair
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    expect(grads[0][0]).toBeCloseTo((-0.1 * sig(-0.1)) / 2, 6);
    expect(grads[0][1]).toBeCloseTo((-0.1 * sig(0.05)) / 2, 6);
    expect(grads[1][0]).toBeCloseTo((0.1 * sig(-0.1)) / 2, 6);
  });
});
