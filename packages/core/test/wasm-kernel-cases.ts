import { adamUpdate, attend, attentionBias, gatedProduct, logprobsOfTargets, rmsNorm, selectBackend, tf } from '@aya-fw/core';

/** Runs `f` on a backend and returns its values as plain arrays. */
export async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
  }) as unknown as number[][];
}

export function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

/** Largest difference relative to the largest magnitude of `ref` (at least 1). */
export function relDiff(a: number[][], ref: number[][]): number {
  return maxDiff(a, ref) / Math.max(1, ...ref.map((row) => Math.max(...row.map(Math.abs))));
}

/** Deterministic values of a shape. */
export const data = (shape: number[], seed: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37)) };
};

/**
 * The wasm kernel pack against the cpu backend: run once with aya-fw's native kernels and once
 * without (`AYA_FW_NO_NATIVE=1`), each by its own test file.
 */
export function describeWasmKernelPack(label: string): void {
    describe(`aya-fw\'s wasm kernel pack (${label}) matches the cpu backend`, () => {
    beforeAll(() => selectBackend('wasm'));
    afterAll(() => tf.setBackend('cpu'));

    it.each([
      [[64, 32], [48, 32], false, true],
      [[32, 64], [32, 48], true, false],
      [[32, 64], [48, 32], true, true],
      [[6, 10, 8], [6, 12, 8], false, true],
      [[6, 8, 10], [6, 8, 12], true, false],
      [[2, 3, 10, 8], [2, 3, 12, 8], false, true],
      [[2, 4, 64, 32], [2, 4, 64, 32], false, true],
      [[2, 4, 64, 64], [2, 4, 64, 32], false, false],
      // odd sizes, depth beyond one packed block, and products big enough to be split over threads
      [[70, 300], [300, 45], false, false],
      [[300, 70], [45, 300], true, true],
      [[3, 33, 129], [3, 17, 129], false, true],
      [[256, 300], [256, 260], true, false],
      [[260, 256], [300, 256], false, true],
    ])('BatchMatMul %j × %j (transposeA %s, transposeB %s), with gradients', async (sa, sb, ta, tb) => {
      const a = data(sa as number[], 1);
      const b = data(sb as number[], 2);
      const run = () => {
        const A = tf.tensor(a.values, a.shape);
        const B = tf.tensor(b.values, b.shape);
        const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta as boolean, tb as boolean))))([A, B]);
        return [tf.matMul(A, B, ta as boolean, tb as boolean), ...grads];
      };
      expect(relDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-5);
    });

    // tfjs's own BatchMatMul gradient does not reduce broadcast batch dimensions, so forward only.
    it.each([
      [[3, 5, 7], [1, 7, 21]],
      [[1, 5, 7], [4, 7, 20]],
    ])('BatchMatMul %j × %j broadcasts a single matrix', async (sa, sb) => {
      const a = data(sa, 4);
      const b = data(sb, 5);
      const run = () => tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape));
      expect(maxDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-4);
    });

    it('UnsortedSegmentSum, so the gradient of gather (embeddings) works', async () => {
      const table = data([10, 4], 3);
      const run = () => {
        const E = tf.tensor(table.values, table.shape);
        const ids = tf.tensor1d([1, 3, 1, 9, 0, 3], 'int32');
        const [g] = tf.grads((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, ids), tf.range(0, 24).reshape([6, 4]))))([E]);
        return [g, tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([2, 0, 2], 'int32'), 4)];
      };
      const wasm = await on('wasm', run);
      expect(maxDiff(wasm, await on('cpu', run))).toBe(0);
      expect(wasm[1]).toEqual([3, 4, 0, 0, 6, 8, 0, 0]);
    });
    it('gather along the first axis (embeddings) and along others; an index out of range is named', async () => {
      const table = data([10, 3, 4], 10);
      const run = () => {
        const E = tf.tensor(table.values, table.shape);
        return [tf.gather(E, tf.tensor2d([[1, 9], [0, 1]], [2, 2], 'int32')), tf.gather(E, tf.tensor1d([2, 0], 'int32'), 1), tf.gather(E, tf.tensor1d([3, 1], 'int32'), -1)];
      };
      expect(maxDiff(await on('wasm', run), await on('cpu', run))).toBe(0);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      expect(() => tf.tidy(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([0, 4], 'int32')))).toThrow('GatherV2: the index value 4 is not in [0, 3]');
      expect(tf.memory().numTensors).toBe(before);
    });

    it.each([false, true])('RMSNorm and its gradients in x and the weight (Gemma\'s 1 + w: %s)', async (plusOne) => {
      const x = data([2, 5, 24], 11);
      const w = data([24], 12);
      const run = () => {
        const X = tf.tensor(x.values, x.shape);
        const W = tf.tensor(w.values, w.shape);
        const up = tf.tensor(data([2, 5, 24], 13).values, [2, 5, 24]);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, b, 1e-6, plusOne as boolean), up));
        return [rmsNorm(X, W, 1e-6, plusOne as boolean), ...tf.grads(f)([X, W])];
      };
      expect(relDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-5);
    });

    it.each([
      ['causal, shared over the batch', false, null],
      ['with a padding mask per row', true, null],
      ['with soft-capping (not fused)', true, 30],
    ])('attention %s, with gradients in q, k and v (grouped heads)', async (_name, masked, cap) => {
      const [b, h, kvh, s, d] = [2, 4, 2, 5, 8];
      const run = () => {
        const Q = tf.tensor(data([b, h, s, d], 17).values, [b, h, s, d]);
        const K = tf.tensor(data([b, kvh, s, d], 18).values, [b, kvh, s, d]);
        const V = tf.tensor(data([b, kvh, s, d], 19).values, [b, kvh, s, d]);
        const mask = masked ? tf.tensor2d([[0, 1, 1, 1, 1], [1, 1, 1, 1, 1]], [b, s], 'int32') : undefined;
        const bias = attentionBias(b, s, 0, mask, null);
        const w = tf.tensor(data([b, h, s, d], 20).values, [b, h, s, d]);
        const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(attend(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, bias, 0.35, cap as number | null), w));
        return [attend(Q as tf.Tensor4D, K as tf.Tensor4D, V as tf.Tensor4D, bias, 0.35, cap as number | null), ...tf.grads(f)([Q, K, V])];
      };
      expect(relDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-5);
    });

    it('SwiGLU\'s silu(gate)·up and its gradients', async () => {
      const shape = [3, 7, 20];
      const run = () => {
        const G = tf.mul(tf.tensor(data(shape, 14).values, shape), 6);
        const U = tf.tensor(data(shape, 15).values, shape);
        const w = tf.tensor(data(shape, 16).values, shape);
        const f = (g: tf.Tensor, u: tf.Tensor) => tf.sum(tf.mul(gatedProduct('silu', g, u), w));
        return [gatedProduct('silu', G, U), ...tf.grads(f)([G, U])];
      };
      expect(relDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-5);
    });

    it('log-likelihoods of targets (fused log-softmax and pick) and their gradient, masked', async () => {
      const logits = data([3, 5, 40], 6);
      const run = () => {
        const L = tf.tensor3d(logits.values, [3, 5, 40]);
        const targets = tf.tensor2d([[0, 39, 7, 7, 12], [1, 2, 3, 4, 5], [39, 38, 0, 20, 21]], [3, 5], 'int32');
        const mask = tf.tensor2d([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], [3, 5]);
        const weights = tf.tensor2d([[1, 2, 3, 4, 5], [-1, -2, 0.5, 1, 2], [3, 1, 4, 1, 5]], [3, 5]);
        const f = (x: tf.Tensor) => tf.sum(tf.mul(logprobsOfTargets(x as tf.Tensor3D, targets, mask), weights));
        return [logprobsOfTargets(L, targets, mask), tf.grad(f)(L)];
      };
      expect(maxDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-5);
    });

    it('keeps the targets its gradient needs when the forward ran in an inner tf.tidy', async () => {
      const logits = data([2, 3, 8], 9);
      const run = () => {
        const L = tf.tensor3d(logits.values, [2, 3, 8]);
        const loss = (x: tf.Tensor) => tf.tidy(() => tf.sum(logprobsOfTargets(x as tf.Tensor3D, tf.tensor2d([[1, 2, 3], [7, 0, 6]], [2, 3], 'int32'))));
        return tf.grad(loss)(L);
      };
      expect(maxDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-6);
    });

    it('leaves no tensors behind in the log-likelihood gradient', async () => {
      await tf.setBackend('wasm');
      const L = tf.tensor3d(data([2, 3, 8], 7).values, [2, 3, 8]);
      const targets = tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(logprobsOfTargets(x as tf.Tensor3D, targets)))(L).dataSync());
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([L, targets]);
    });

    it.each([
      ['Adam', 0, false],
      ['Adam with L2 weight decay', 0.1, false],
      ['AdamW', 0.1, true],
    ])('%s: two updates as the tensor-operation form on cpu', async (_name, weightDecay, decoupled) => {
      const shape = [7, 33];
      const run = () => {
        let param: tf.Tensor = tf.tensor(data(shape, 8).values, shape);
        let m: tf.Tensor = tf.zeros(shape);
        let v: tf.Tensor = tf.zeros(shape);
        for (const step of [1, 2]) {
          const g = tf.tensor(data(shape, 9 + step).values, shape);
          ({ param, m, v } = adamUpdate(param, g, m, v, { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay as number, decoupled: decoupled as boolean, step }));
        }
        return [param, m, v];
      };
      expect(maxDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-6);
    });
  });
}
