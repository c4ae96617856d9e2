import { tf } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import { SrpoConfigSchema, srpoLoss, type SrpoLogps } from '@aya-fw/plugin-srpo';

const term = (policy: number[], reference: number[], lengths?: number[]) => ({
  policy: tf.tensor1d(policy),
  reference: tf.tensor1d(reference),
  lengths: lengths && tf.tensor1d(lengths),
});

// h values: w|x = 1, l|x = −1, w|x,l = 2, l|x,l = 0, w|x,w = 0.5, l|x,w = −0.5 (reference 0).
const inputs = (): SrpoLogps => ({
  chosen: term([1], [0], [2]),
  rejected: term([-1], [0], [4]),
  chosenFromRejected: term([2], [0], [2]),
  rejectedFromRejected: term([0], [0], [4]),
  chosenFromChosen: term([0.5], [0], [2]),
  rejectedFromChosen: term([-0.5], [0], [4]),
});

beforeAll(() => createTestEngine());

describe('SRPO loss', () => {
  it('matches the hand-computed self-improvement and generative terms', () => {
    // L_SI = (½ − 0.5·(2 − 0))² + (½ − 0.5·(0.5 + 0.5))² = 0.25 + 0 ; L_G = (0.5·(2 + 1 − (−0.5) − (−1)) − 1)² = 1.5625
    const c = (alpha: number) => srpoLoss(inputs(), SrpoConfigSchema.parse({ beta: 0.5, alpha })).loss.dataSync()[0];
    expect(c(1)).toBeCloseTo(0.25, 6);
    expect(c(0)).toBeCloseTo(1.5625, 6);
    expect(c(0.5)).toBeCloseTo(0.5 * 0.25 + 0.5 * 1.5625, 6);
  });

  it('mean reduction divides every h by its completion length', () => {
    // h̄: 0.5, −0.25, 1, 0, 0.25, −0.125 → L_SI = (½ − 0.5)² + (½ − 0.5·0.375)² ; L_G = (0.5·(1 + 0.5 + 0.125 + 0.25) − 1)²
    const got = srpoLoss(inputs(), SrpoConfigSchema.parse({ beta: 0.5, alpha: 0.5, reduction: 'mean' })).loss.dataSync()[0];
    const si = 0 + (0.5 - 0.5 * 0.375) ** 2;
    const g = (0.5 * (1 + 0.5 + 0.125 + 0.25) - 1) ** 2;
    expect(got).toBeCloseTo(0.5 * si + 0.5 * g, 6);
  });

  it('has the closed-form gradients on the policy terms', () => {
    const x = inputs();
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => srpoLoss({ ...x, chosen: { ...x.chosen, policy: a as tf.Tensor1D }, rejectedFromChosen: { ...x.rejectedFromChosen, policy: b as tf.Tensor1D } }, SrpoConfigSchema.parse({ beta: 0.5 })).loss)([x.chosen.policy, x.rejectedFromChosen.policy]);
    // G = 2 + 1 + 0.5 + 1 = 4.5, βG − 1 = 1.25; Δ_w = 0.5 − (−0.5) = 1, ½ − βΔ_w = 0.
    // ∂L/∂h(w|x) = (1−α)·2·(βG − 1)·β ; ∂L/∂h(l|x,w) = α·2·(½ − βΔ_w)·β + (1−α)·2·(βG − 1)·(−β)
    expect(grads[0].dataSync()[0]).toBeCloseTo(0.5 * 2 * 1.25 * 0.5, 6);
    expect(grads[1].dataSync()[0]).toBeCloseTo(0.5 * 2 * 0 * 0.5 + 0.5 * 2 * 1.25 * -0.5, 6);
  });
});
