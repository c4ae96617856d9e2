import { learningRateAt, tf, type AyaOptimizer } from '@aya-fw/core';
import { createTestEngine, liveTensors } from '@aya-fw/core/testing';
import optimizers from '@aya-fw/plugin-optimizers';

/** Two updates of θ with constant gradient g; returns θ after each. */
async function twoSteps(id: string, config: object, theta: number[], grad: number[]): Promise<number[][]> {
  const engine = await createTestEngine({ plugins: [optimizers] });
  const opt = engine.createOptimizer({ optimizer: id, config }) as AyaOptimizer;
  const v = tf.variable(tf.tensor(theta, theta.length === 4 ? [2, 2] : [theta.length]));
  const out: number[][] = [];
  for (let i = 0; i < 2; i++) {
    tf.tidy(() => opt.applyGradients({ [v.name]: tf.tensor(grad, v.shape) }));
    out.push(Array.from(v.dataSync()));
  }
  opt.dispose();
  v.dispose();
  return out;
}

const close = (got: number[], want: number[], digits = 5) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));

describe('optimizers (PyTorch semantics, closed forms)', () => {
  it('Adam: the first update is lr·sign(g); bias correction makes the second the same for a constant gradient', async () => {
    const [a, b] = await twoSteps('adam', { learningRate: 0.1, epsilon: 1e-12 }, [1, -1], [0.5, -2]);
    close(a, [0.9, -0.9]);
    close(b, [0.8, -0.8]);
  });

  it('AdamW decays θ by (1 − lr·λ) before the Adam step; Adam adds λθ to the gradient instead', async () => {
    const [a] = await twoSteps('adamw', { learningRate: 0.1, weightDecay: 0.5, epsilon: 1e-12 }, [2], [1]);
    close(a, [2 * (1 - 0.05) - 0.1]);
    const [l2] = await twoSteps('adam', { learningRate: 0.1, weightDecay: 0.5, epsilon: 1e-12 }, [2], [-0.5]);
    close(l2, [2 - 0.1 * Math.sign(-0.5 + 0.5 * 2)]); // g + λθ = 0.5 > 0
  });

  it('SGD with momentum: b₁ = g, b₂ = μb₁ + g', async () => {
    const [a, b] = await twoSteps('sgd', { learningRate: 0.1, momentum: 0.9 }, [1], [2]);
    close(a, [1 - 0.2]);
    close(b, [0.8 - 0.1 * (0.9 * 2 + 2)]);
  });

  it('Adafactor: a vector’s first update is lr·g/|g| (β₂ = 0), a matrix’s uses the factored row/column moments', async () => {
    const [vec] = await twoSteps('adafactor', { learningRate: 0.01 }, [1, 1], [3, -4]);
    close(vec, [1 - 0.01, 1 + 0.01]);
    const g = [1, 2, 3, 4];
    const [mat] = await twoSteps('adafactor', { learningRate: 0.01, clipThreshold: 100 }, [0, 0, 0, 0], g);
    const sq = g.map((x) => x * x + 1e-30);
    const row = [(sq[0] + sq[1]) / 2, (sq[2] + sq[3]) / 2];
    const col = [(sq[0] + sq[2]) / 2, (sq[1] + sq[3]) / 2];
    const rowMean = (row[0] + row[1]) / 2;
    const u = g.map((x, i) => x / Math.sqrt(row[Math.floor(i / 2)] / rowMean) / Math.sqrt(col[i % 2]));
    close(mat, u.map((x) => -0.01 * x));
  });

  it('keep state only for variables that get gradients, and leak no tensors per step', async () => {
    const engine = await createTestEngine({ plugins: [optimizers] });
    const opt = engine.createOptimizer({ optimizer: 'adamw', config: {} }) as AyaOptimizer;
    const trained = tf.variable(tf.ones([3]));
    const frozen = tf.variable(tf.ones([3]), false);
    tf.tidy(() => opt.applyGradients({ [trained.name]: tf.ones([3]) }));
    const before = liveTensors();
    for (let i = 0; i < 5; i++) tf.tidy(() => opt.applyGradients({ [trained.name]: tf.ones([3]) }));
    expect(liveTensors()).toBe(before);
    const state = Object.keys(opt.stateTensors());
    expect(state.filter((k) => k.startsWith(trained.name))).toHaveLength(2);
    expect(state.some((k) => k.startsWith(frozen.name))).toBe(false);
  });
});

describe('learning-rate schedules (transformers)', () => {
  it('warm up linearly from 0, then stay, decay linearly, or follow a half cosine to 0', () => {
    const s = (type: 'constant' | 'linear' | 'cosine') => ({ type, warmupSteps: 2 });
    expect([0, 1, 2, 5].map((k) => learningRateAt(1, s('constant'), k, 10))).toEqual([0, 0.5, 1, 1]);
    expect([2, 6, 10].map((k) => learningRateAt(1, s('linear'), k, 10))).toEqual([1, 0.5, 0]);
    expect(learningRateAt(1, s('cosine'), 6, 10)).toBeCloseTo(0.5);
    expect(learningRateAt(1, s('cosine'), 10, 10)).toBeCloseTo(0);
    expect(learningRateAt(2, { type: 'linear', warmupSteps: 0, warmupRatio: 0.5 }, 2, 8)).toBeCloseTo(1);
  });
});
