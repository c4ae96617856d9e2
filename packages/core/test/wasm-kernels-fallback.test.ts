import { nativeKernelsStatus, selectBackend, tf } from '@aya-fw/core';
import { describeWasmKernelPack } from './wasm-kernel-cases';

// Read when the wasm backend first registers its kernels (in the suite's beforeAll).
process.env.AYA_FW_NO_NATIVE = '1';

describe('without the native kernels', () => {
  beforeAll(() => selectBackend('wasm'));
  afterAll(() => tf.setBackend('cpu'));

  it('says why they are not in use', () => {
    expect(nativeKernelsStatus()).toBe('no native kernels: turned off by AYA_FW_NO_NATIVE=1');
  });
});

describeWasmKernelPack('without the native kernels');
