import { computeThreads, loadNativeAddon, NATIVE_ADDON_PATH, logprobsOfTargets, nativeKernelsStatus, selectBackend, setComputeThreads, tf } from '@aya-fw/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describeWasmKernelPack, on } from './wasm-kernel-cases';

/** Whether this machine has the compiler `npm install` builds the native kernels with. */
function hasCompiler(): boolean {
  try {
    execFileSync(process.env.CXX || 'g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('native kernels', () => {
  beforeAll(() => selectBackend('wasm'));
  afterAll(() => tf.setBackend('cpu'));

  // Where a compiler is present the install must have built them: a broken build fails here.
  (hasCompiler() ? it : it.skip)('are built at install and in use on the wasm backend', () => {
    expect(nativeKernelsStatus()).toMatch(/^native kernels, \d+ threads$/);
  });

  it('say how to build them when missing, and refuse a file that is not an addon', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aya-native-'));
    expect(loadNativeAddon(join(dir, 'none.node'))).toEqual({ reason: expect.stringMatching(/^not built \(.*none\.node is missing; build it with: node .*build-native\.mjs\)$/) });
    writeFileSync(join(dir, 'bad.node'), 'not an ELF file');
    expect(loadNativeAddon(join(dir, 'bad.node'))).toEqual({ reason: expect.stringMatching(/^failed to load .*bad\.node: /) });
  });

  (hasCompiler() ? it : it.skip)('refuse arrays shorter than their shapes with the call\'s usage', () => {
    const load = loadNativeAddon(NATIVE_ADDON_PATH);
    if (!('kernels' in load)) throw new Error(load.reason);
    const { kernels } = load;
    const f = (n: number) => new Float32Array(n);
    expect(() => kernels.matmul(f(6), f(6), f(3), 1, 2, 3, 2, 6, 6, false, false)).toThrow(/^matmul: expected \(Float32Array a, b, out/);
    expect(() => kernels.swiglu(f(4), f(3), f(4))).toThrow('swiglu: expected (Float32Array gate, up, y) of one length');
    expect(() => kernels.rmsNorm(f(8), f(3), f(8), f(2), 2, 4, 1e-6)).toThrow(/^rmsNorm: expected/);
    expect(() => kernels.setThreads(0)).toThrow('setThreads: expected a thread count from 1 to 256');
    const out = f(4);
    kernels.matmul(Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(1, 0, 0, 1, 1, 1), out, 1, 2, 3, 2, 6, 6, false, false);
    expect(Array.from(out)).toEqual([4, 5, 10, 11]);
  });

  it('give the same bits on one thread and on several', async () => {
    const run = () => {
      const a = tf.randomNormal([300, 257], 0, 1, 'float32', 1);
      const b = tf.randomNormal([257, 290], 0, 1, 'float32', 2);
      return [tf.matMul(a, b), tf.matMul(b, a, true, true)];
    };
    const threads = computeThreads();
    try {
      setComputeThreads(1);
      const one = await on('wasm', run);
      setComputeThreads(2);
      expect(await on('wasm', run)).toEqual(one);
    } finally {
      setComputeThreads(threads);
    }
  });

  (hasCompiler() ? it : it.skip)('name a target id outside the vocabulary', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    expect(() =>
      tf.tidy(() => {
        const logits = tf.zeros([2, 3, 5]) as tf.Tensor3D;
        return logprobsOfTargets(logits, tf.tensor2d([[0, 1, 2], [3, 5, 4]], [2, 3], 'int32'));
      }),
    ).toThrow('target id 5 at row 4 is outside the vocabulary [0, 5)');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeWasmKernelPack('with the native kernels');
