import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// @types/node does not declare the WebAssembly namespace; these are the parts used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

/**
 * Instantiates a compiled kernel module of `dist/kernels` (built from `kernels/*.wat`), or null
 * when it is missing, the runtime lacks SIMD, or `AYA_FW_NO_KERNELS=1` asks for the fallbacks.
 */
export function loadKernelModule<T>(file: string): T | null {
  const path = join(__dirname, file);
  if (process.env.AYA_FW_NO_KERNELS === '1' || !existsSync(path)) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path))).exports as T;
  } catch {
    return null;
  }
}

/** Grows `memory` to at least `bytes`. */
export function ensureMemory(memory: WasmMemory, bytes: number): void {
  const need = bytes - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536));
}
