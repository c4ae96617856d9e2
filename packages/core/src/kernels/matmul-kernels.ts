import { ensureMemory, loadKernelModule, type WasmMemory } from './load';

interface Exports {
  memory: WasmMemory;
  bmm(a: number, b: number, c: number, batch: number, m: number, k: number, n: number, sa: number, sb: number): void;
}

let instance: Exports | null | undefined;

function matmulKernels(): Exports | null {
  if (instance === undefined) instance = loadKernelModule<Exports>('matmul.wasm');
  return instance;
}

/** Offset of the next 16-byte-aligned value after `n` values. */
const align4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * out[t] = a[t] · b[t] for `batch` row-major f32 products [m, k] · [k, n] (`kernels/matmul.wat`,
 * WebAssembly SIMD); an operand holding one matrix is broadcast. The operands are copied into
 * the kernel's memory and the result copied out. False when the kernel is unavailable.
 */
export function batchedMatmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, k: number, n: number): boolean {
  const kx = matmulKernels();
  if (!kx) return false;
  const offB = align4(a.length);
  const offC = offB + align4(b.length);
  ensureMemory(kx.memory, 4 * (offC + out.length));
  const heap = new Float32Array(kx.memory.buffer);
  heap.set(a, 0);
  heap.set(b, offB);
  kx.bmm(0, 4 * offB, 4 * offC, batch, m, k, n, a.length === m * k ? 0 : m * k, b.length === k * n ? 0 : k * n);
  out.set(heap.subarray(offC, offC + out.length));
  return true;
}
