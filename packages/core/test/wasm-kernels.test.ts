import { selectBackend, tf } from '@aya-fw/core';

/** Runs `f` on a backend and returns its values as plain arrays. */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor | tf.Tensor[]): Promise<number[][]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
  }) as unknown as number[][];
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

describe("aya-fw's wasm kernel pack matches the cpu backend", () => {
  beforeAll(() => selectBackend('wasm'));
  afterAll(() => tf.setBackend('cpu'));

  const data = (shape: number[], seed: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, values: Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 0.37)) };
  };

  it.each([
    [[64, 32], [48, 32], false, true],
    [[32, 64], [32, 48], true, false],
    [[32, 64], [48, 32], true, true],
    [[6, 10, 8], [6, 12, 8], false, true],
    [[6, 8, 10], [6, 8, 12], true, false],
    [[2, 3, 10, 8], [2, 3, 12, 8], false, true],
    [[2, 4, 64, 32], [2, 4, 64, 32], false, true],
    [[2, 4, 64, 64], [2, 4, 64, 32], false, false],
  ])('BatchMatMul %j × %j (transposeA %s, transposeB %s), with gradients', async (sa, sb, ta, tb) => {
    const a = data(sa as number[], 1);
    const b = data(sb as number[], 2);
    const run = () => {
      const A = tf.tensor(a.values, a.shape);
      const B = tf.tensor(b.values, b.shape);
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta as boolean, tb as boolean))))([A, B]);
      return [tf.matMul(A, B, ta as boolean, tb as boolean), ...grads];
    };
    expect(maxDiff(await on('wasm', run), await on('cpu', run))).toBeLessThan(1e-3);
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
});
