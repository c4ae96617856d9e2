import { tf } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import onlineRl, {
  groupAdvantages,
  klEstimates,
  klShapedRewards,
  meanStd,
  normalizeAdvantages,
  reinforceAdvantages,
  rlooAdvantages,
  updateMovingAverage,
  validGroupSizes,
  type PolicyGradientInputs,
} from '@aya-fw/plugin-online-rl';

const close = (got: readonly number[], want: readonly number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i], digits));
};

describe('advantage estimators (hand-computed)', () => {
  it('RLOO subtracts the mean of the other completions of the same prompt', () => {
    close(rlooAdvantages([1, 3, 2, 6], 2), [-2, 2, -4, 4]);
    close(rlooAdvantages([1, 3, 2, 6], 4), [1 - 11 / 3, 0, 2 - 10 / 3, 4]);
    // A completion no reward applies to is left out of its group's baseline and gets 0.
    close(rlooAdvantages([1, null, 3], 3), [-2, 0, 2]);
    close(rlooAdvantages([5, null], 2), [0, 0]);
  });

  it('GRPO centres on the group mean and scales by the unbiased std of the group or the batch', () => {
    const s = Math.SQRT2; // std of {1, 3} with n − 1
    close(groupAdvantages([1, 3, 10, 10], 2, 'group'), [-1 / (s + 1e-4), 1 / (s + 1e-4), 0, 0]);
    close(groupAdvantages([1, 3, 10, 10], 2, 'none'), [-1, 1, 0, 0]);
    const batch = meanStd([1, 3, 10, 10]).std;
    close(groupAdvantages([1, 3, 10, 10], 2, 'batch'), [-1 / (batch + 1e-4), 1 / (batch + 1e-4), 0, 0]);
    expect(batch).toBeCloseTo(Math.sqrt(((1 - 6) ** 2 + (3 - 6) ** 2 + 2 * 4 ** 2) / 3), 10);
  });

  it('REINFORCE: no baseline, or a moving average that starts at the first batch’s mean', () => {
    close(reinforceAdvantages([1, null, 3]), [1, 0, 3]);
    close(reinforceAdvantages([1, 3], 2), [-1, 1]);
    expect(updateMovingAverage(undefined, [4, 6], 0.9)).toBe(5);
    expect(updateMovingAverage(2, [4, 6], 0.9)).toBeCloseTo(0.9 * 2 + 0.1 * 5, 12);
    expect(updateMovingAverage(2, [null], 0.9)).toBe(2);
  });

  it('shapes rewards with the sequence KL, standardises, and estimates KL (k1, k3)', () => {
    const shaped = klShapedRewards([1, null, 2], [0.5, 3, -1], 0.1);
    expect(shaped[1]).toBeNull();
    close([shaped[0]!, shaped[2]!], [0.95, 2.1]);
    const n = normalizeAdvantages([1, 2, 3]);
    close(n, [-1 / (1 + 1e-4), 0, 1 / (1 + 1e-4)]);
    const { k1, k3 } = klEstimates(-1, -2);
    expect(k1).toBeCloseTo(1, 12);
    expect(k3).toBeCloseTo(Math.exp(-1) + 1 - 1, 12);
    expect(klEstimates(-0.5, -0.5).k3).toBe(0);
  });

  it('lists the group sizes that divide a generation batch', () => {
    expect(validGroupSizes(12, 2)).toEqual([2, 3, 4, 6, 12]);
    expect(validGroupSizes(16, 1)).toEqual([1, 2, 4, 8, 16]);
  });
});

describe('policy-gradient losses (values and gradients by hand)', () => {
  // Two completions, three token positions; the second has one padding position.
  const lp = [
    [-1, -2, -0.5],
    [-0.2, -1.5, 0],
  ];
  const mask = [
    [1, 1, 1],
    [1, 1, 0],
  ];
  const adv = [2, -1];
  const inputs = (logps: tf.Tensor2D, extra: Partial<PolicyGradientInputs> = {}): PolicyGradientInputs => ({
    logps,
    mask: tf.tensor2d(mask),
    advantages: tf.tensor1d(adv),
    maxCompletionLength: 4,
    ...extra,
  });
  const gradient = (f: (x: tf.Tensor2D) => tf.Scalar) => {
    const x = tf.tensor2d(lp);
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { value: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
  };

  it('reinforce: L = −(1/B) Σ A_i log π(y_i|x), gradient −A_i/B on every completion token', async () => {
    const engine = await createTestEngine({ plugins: [onlineRl] });
    const loss = engine.prepareLoss<PolicyGradientInputs>('reinforce', {}, 'test');
    const before = liveTensors();
    tf.tidy(() => {
      const { value, grad } = gradient((x) => loss.compute(inputs(x)).loss);
      expect(value).toBeCloseTo(-(2 * -3.5 + -1 * -1.7) / 2, 5);
      close(grad, [-1, -1, -1, 0.5, 0.5, 0]);
    });
    expect(liveTensors()).toBe(before);
  });

  it('reinforce with the sampling policy given: the clipped sequence ratio (no gradient where clipped)', async () => {
    const engine = await createTestEngine({ plugins: [onlineRl] });
    const loss = engine.prepareLoss<PolicyGradientInputs>('reinforce', { epsilon: 0.2 }, 'test');
    // Sequence log-ratios: row 0: −3.5 − (−3.7) = 0.2 → ρ = e^0.2 ≈ 1.221 > 1.2 with A > 0: clipped; row 1: −1.7 − (−1.6) = −0.1 → ρ ≈ 0.905, inside.
    const old = tf.tensor2d([
      [-1.1, -2.1, -0.5],
      [-0.1, -1.5, 0],
    ]);
    tf.tidy(() => {
      const out = loss.compute(inputs(tf.tensor2d(lp), { oldLogps: old }));
      const r1 = Math.exp(-0.1);
      expect(out.loss.dataSync()[0]).toBeCloseTo((-(1.2 * 2) + -Math.min(r1 * -1, r1 * -1)) / 2, 5);
      expect(out.metrics!.clip_ratio.dataSync()[0]).toBeCloseTo(0.5, 6);
      const { grad } = gradient((x) => loss.compute(inputs(x, { oldLogps: old })).loss);
      close(grad, [0, 0, 0, r1 / 2, r1 / 2, 0]);
    });
  });

  it.each([
    ['grpo', -(2 + -1) / 2, [-1 / 3, -1 / 3, -1 / 3, 0.25, 0.25, 0]],
    ['dapo', -(2 * 3 + -1 * 2) / 5, [-0.4, -0.4, -0.4, 0.2, 0.2, 0]],
    ['dr-grpo', -(2 * 3 + -1 * 2) / (2 * 4), [-0.25, -0.25, -0.25, 0.125, 0.125, 0]],
  ] as const)('grpo, lossType %s: aggregation and gradient at ratio 1', async (lossType, value, grad) => {
    const engine = await createTestEngine({ plugins: [onlineRl] });
    const loss = engine.prepareLoss<PolicyGradientInputs>('grpo', { lossType }, 'test');
    tf.tidy(() => {
      const g = gradient((x) => loss.compute(inputs(x)).loss);
      expect(g.value).toBeCloseTo(value, 5);
      close(g.grad, grad);
    });
  });

  it('grpo adds β·k3 against the reference per token', async () => {
    const engine = await createTestEngine({ plugins: [onlineRl] });
    const loss = engine.prepareLoss<PolicyGradientInputs>('grpo', { lossType: 'dapo', beta: 0.5 }, 'test');
    const ref = [
      [-2, -2, -0.5],
      [-0.2, -1, 0],
    ];
    const k3 = (l: number, r: number) => Math.exp(r - l) - (r - l) - 1;
    const tokens: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
    ];
    const klSum = tokens.reduce((s, [i, t]) => s + k3(lp[i][t], ref[i][t]), 0);
    tf.tidy(() => {
      const out = loss.compute(inputs(tf.tensor2d(lp), { refLogps: tf.tensor2d(ref) }));
      expect(out.loss.dataSync()[0]).toBeCloseTo((-(2 * 3 + -1 * 2) + 0.5 * klSum) / 5, 5);
      expect(out.metrics!.kl.dataSync()[0]).toBeCloseTo(klSum / 5, 5);
    });
  });
});
