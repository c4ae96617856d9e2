import { nodeModuleLoader, selectBackend, tf, UsageError, type ModuleLoader } from '@aya-fw/core';

/** Node's loader, except that the named packages are "not installed". */
function without(...missing: string[]): ModuleLoader {
  const fail = (id: string) => {
    const err = Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    throw err;
  };
  return {
    require: (id) => (missing.some((m) => id.startsWith(m)) ? fail(id) : nodeModuleLoader.require(id)),
    resolve: (id) => (missing.some((m) => id.startsWith(m)) ? fail(id) : nodeModuleLoader.resolve(id)),
  };
}

describe('backend selection', () => {
  afterAll(() => tf.setBackend('cpu'));

  it('auto falls back to the embedded wasm backend when the native ones are absent', async () => {
    const choice = await selectBackend('auto', without('@tensorflow/tfjs-node'));
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped).toEqual([
      'tensorflow-gpu: @tensorflow/tfjs-node-gpu is not installed',
      'tensorflow: @tensorflow/tfjs-node is not installed',
    ]);
    const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(product.dataSync())).toEqual([11]);
  });

  it('auto falls back to cpu when wasm is absent too', async () => {
    const choice = await selectBackend('auto', without('@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm'));
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.skipped[2]).toBe('wasm: @tensorflow/tfjs-backend-wasm is not installed');
  });

  it('a named native backend that is not installed is a usage error saying what to install', async () => {
    await expect(selectBackend('tensorflow', without('@tensorflow/tfjs-node'))).rejects.toThrow(
      "backend 'tensorflow' is unavailable: @tensorflow/tfjs-node is not installed (npm install @tensorflow/tfjs-node)",
    );
    await expect(selectBackend('tensorflow-gpu', without('@tensorflow/tfjs-node'))).rejects.toBeInstanceOf(UsageError);
  });

  it('a package that is present but fails to start is reported as such', async () => {
    const broken: ModuleLoader = {
      require: (id) => {
        if (id === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object file');
        return without('@tensorflow/tfjs-node').require(id);
      },
      resolve: nodeModuleLoader.resolve,
    };
    const choice = await selectBackend('auto', broken);
    expect(choice.skipped[0]).toBe('tensorflow-gpu: @tensorflow/tfjs-node-gpu failed to start: libcudart.so.11.0: cannot open shared object file');
  });

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend('metal' as never)).rejects.toThrow("unknown backend 'metal'; expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu");
  });
});
