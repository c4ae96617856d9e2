import { tf, type PairwiseLogps } from '@aya-fw/core';
import { createTestEngine } from '@aya-fw/core/testing';
import { CopgConfigSchema, copgLoss } from '@aya-fw/plugin-copg';
import { IpoConfigSchema, ipoLoss } from '@aya-fw/plugin-dpo';

const base = {
  referenceChosen: tf.tensor1d([-1.5, -2, -0.7]),
  referenceRejected: tf.tensor1d([-2.5, -1.5, -0.9]),
  chosenLengths: tf.tensor1d([2, 4, 3]),
  rejectedLengths: tf.tensor1d([1, 2, 5]),
};

/** Gradient of a loss with respect to the policy log-likelihoods of both completions. */
function gradient(loss: (x: PairwiseLogps) => tf.Scalar, rewards: [number[], number[]]): number[] {
  return tf.tidy(() => {
    const [gc, gr] = tf.grads((pc: tf.Tensor, pr: tf.Tensor) =>
      loss({
        ...base,
        policyChosen: pc as tf.Tensor1D,
        policyRejected: pr as tf.Tensor1D,
        chosenRewards: tf.tensor1d(rewards[0]),
        rejectedRewards: tf.tensor1d(rewards[1]),
      }),
    )([tf.tensor1d([-1, -2, -0.2]), tf.tensor1d([-3, -1, -2.4])]);
    return [...gc.dataSync(), ...gr.dataSync()];
  });
}

beforeAll(() => createTestEngine());

describe('CoPG', () => {
  it('matches the hand-computed value −mean((A − β/2·D)·D)', () => {
    // A = (1, 0), D = (1, −0.5), β = 0.5 → −((1 − 0.25)·1 + (0 + 0.125)·(−0.5))/2
    const out = copgLoss(
      {
        policyChosen: tf.tensor1d([-1, -2]),
        policyRejected: tf.tensor1d([-3, -1]),
        referenceChosen: tf.tensor1d([-1.5, -2]),
        referenceRejected: tf.tensor1d([-2.5, -1.5]),
        chosenRewards: tf.tensor1d([2, 1]),
        rejectedRewards: tf.tensor1d([1, 1]),
      },
      CopgConfigSchema.parse({ beta: 0.5 }),
    );
    expect(out.loss.dataSync()[0]).toBeCloseTo(-0.34375, 6);
  });

  it.each(['sum', 'mean'] as const)('exact, squared and stop-gradient forms give the same gradient (%s)', (reduction) => {
    const rewards: [number[], number[]] = [[2.5, 1, 0.3], [1, 2, 0.3]];
    const grad = (form: 'exact' | 'squared' | 'surrogate') => gradient((x) => copgLoss(x, CopgConfigSchema.parse({ beta: 0.3, form, reduction })).loss, rewards);
    const exact = grad('exact');
    expect(exact.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    for (const form of ['squared', 'surrogate'] as const) {
      grad(form).forEach((g, i) => expect(g).toBeCloseTo(exact[i], 6));
    }
  });

  it('the gradient is −(A − βD)∇D (Eq. 18–19: β, not β/2)', () => {
    const beta = 0.3;
    const g = gradient((x) => copgLoss(x, CopgConfigSchema.parse({ beta })).loss, [[2.5, 1, 0.3], [1, 2, 0.3]]);
    const D = [0.5 - -0.5, 0 - 0.5, 0.5 - -1.5];
    const A = [1.5, -1, 0];
    D.forEach((d, i) => {
      expect(g[i]).toBeCloseTo(-(A[i] - beta * d) / 3, 6);
      expect(g[i + 3]).toBeCloseTo((A[i] - beta * d) / 3, 6);
    });
  });

  it('with rewards ±1/4 on a preferred pair, its gradient is IPO’s (τ = β) scaled by β/2 (Prop. 3)', () => {
    for (const beta of [0.1, 0.5, 2]) {
      const copg = gradient((x) => copgLoss(x, CopgConfigSchema.parse({ beta })).loss, [[0.25, 0.25, 0.25], [-0.25, -0.25, -0.25]]);
      const ipo = gradient((x) => ipoLoss(x, IpoConfigSchema.parse({ tau: beta })).loss, [[0, 0, 0], [0, 0, 0]]);
      copg.forEach((g, i) => expect(g).toBeCloseTo((beta / 2) * ipo[i], 6));
    }
  });

  it('is symmetric: swapping the two completions changes nothing', () => {
    const x = {
      policyChosen: tf.tensor1d([-1, -2]),
      policyRejected: tf.tensor1d([-3, -1]),
      referenceChosen: tf.tensor1d([-1.5, -2]),
      referenceRejected: tf.tensor1d([-2.5, -1.5]),
      chosenRewards: tf.tensor1d([2, 1]),
      rejectedRewards: tf.tensor1d([1, 3]),
    };
    const swapped = {
      policyChosen: x.policyRejected,
      policyRejected: x.policyChosen,
      referenceChosen: x.referenceRejected,
      referenceRejected: x.referenceChosen,
      chosenRewards: x.rejectedRewards,
      rejectedRewards: x.chosenRewards,
    };
    const cfg = CopgConfigSchema.parse({ beta: 0.2 });
    expect(copgLoss(swapped, cfg).loss.dataSync()[0]).toBeCloseTo(copgLoss(x, cfg).loss.dataSync()[0], 6);
  });

  it('names the missing rewards', () => {
    expect(() => copgLoss({ ...base, policyChosen: tf.tensor1d([0, 0, 0]), policyRejected: tf.tensor1d([0, 0, 0]) }, CopgConfigSchema.parse({}))).toThrow(
      "loss 'copg' needs chosenRewards and rejectedRewards",
    );
  });
});
