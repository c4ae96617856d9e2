import { join, resolve } from 'node:path';
import { SafetensorsFile } from '@aya-fw/core';

/** The reference fixtures copied into the repository (see test/fixtures/hf/README.md). */
export const FIXTURES = resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf');
export const modelDir = (name: string) => join(FIXTURES, 'models', name);

/** Reads every tensor of an expected-output file as f32 values with its shape. */
export function expected(name: string): Record<string, { shape: number[]; values: Float32Array }> {
  const file = SafetensorsFile.open(join(FIXTURES, 'expected', `${name}.safetensors`));
  try {
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const [tensor, info] of file.tensors) out[tensor] = { shape: [...info.shape], values: file.readFloat32(tensor) };
    return out;
  } finally {
    file.close();
  }
}

/** Rows of a 2-D expected tensor as number arrays. */
export function rows(t: { shape: number[]; values: Float32Array }): number[][] {
  const [r, c] = t.shape;
  return Array.from({ length: r }, (_, i) => Array.from(t.values.subarray(i * c, (i + 1) * c)));
}
