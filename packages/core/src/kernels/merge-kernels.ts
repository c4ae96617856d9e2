import { ensureMemory, loadKernelModule, type WasmMemory } from './load';

interface Exports {
  memory: WasmMemory;
  bf16_to_f32(src: number, dst: number, n: number): void;
  f32_to_bf16(src: number, dst: number, n: number): void;
  axpy(a: number, x: number, y: number, n: number): void;
  scale(a: number, x: number, y: number, n: number): void;
  bf16_scale(a: number, src: number, y: number, n: number): void;
  bf16_axpy(a: number, src: number, y: number, n: number): void;
  bf16_axpy_out(a: number, src: number, y: number, dst: number, n: number): void;
}

let instance: Exports | null | undefined;

/**
 * The merge kernels (`kernels/merge.wat`, WebAssembly SIMD), or null where the compiled module
 * is missing or the runtime lacks SIMD; every caller has a typed-array fallback.
 * `AYA_FW_NO_KERNELS=1` forces the fallback.
 */
export function mergeKernels(): Exports | null {
  if (instance === undefined) instance = loadKernelModule<Exports>('merge.wasm');
  return instance;
}

function inKernelMemory(k: Exports, ...views: ArrayBufferView[]): boolean {
  return views.every((v) => v.buffer === k.memory.buffer);
}

/** bf16 bytes → f32 with SIMD when both views live in kernel memory; false when the caller must fall back. */
export function bf16ToF32Kernel(src: Uint8Array, dst: Float32Array): boolean {
  const k = mergeKernels();
  if (!k || !inKernelMemory(k, src, dst)) return false;
  k.bf16_to_f32(src.byteOffset, dst.byteOffset, dst.length);
  return true;
}

/** f32 → bf16 bytes (round to nearest even) with SIMD when both views live in kernel memory. */
export function f32ToBf16Kernel(src: Float32Array, dst: Uint8Array): boolean {
  const k = mergeKernels();
  if (!k || !inKernelMemory(k, src, dst)) return false;
  k.f32_to_bf16(src.byteOffset, dst.byteOffset, src.length);
  return true;
}

/** y += a·x, with SIMD when both live in kernel memory. */
export function axpy(a: number, x: Float32Array, y: Float32Array): void {
  const k = mergeKernels();
  if (k && inKernelMemory(k, x, y)) {
    k.axpy(a, x.byteOffset, y.byteOffset, y.length);
    return;
  }
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

/** y = a·x, with SIMD when both live in kernel memory. */
export function scale(a: number, x: Float32Array, y: Float32Array): void {
  const k = mergeKernels();
  if (k && inKernelMemory(k, x, y)) {
    k.scale(a, x.byteOffset, y.byteOffset, y.length);
    return;
  }
  for (let i = 0; i < y.length; i++) y[i] = a * x[i];
}

/**
 * out = bf16(Σᵢ cᵢ·f32(srcᵢ)) for bf16 sources, in one fused pass per source with `acc` as the
 * f32 running sum. The operations and their order are those of `scale`, `axpy` and
 * `f32ToBf16Kernel` on widened inputs, so the bytes are the same. False (nothing written) when
 * the kernels are unavailable or a view lies outside kernel memory.
 */
export function linearCombinationBf16(coefficients: readonly number[], sources: readonly Uint8Array[], acc: Float32Array, out: Uint8Array): boolean {
  const k = mergeKernels();
  if (!k || sources.length === 0 || !inKernelMemory(k, acc, out, ...sources)) return false;
  const n = acc.length;
  const last = sources.length - 1;
  k.bf16_scale(coefficients[0], sources[0].byteOffset, acc.byteOffset, n);
  if (last === 0) {
    k.f32_to_bf16(acc.byteOffset, out.byteOffset, n);
    return true;
  }
  for (let m = 1; m < last; m++) k.bf16_axpy(coefficients[m], sources[m].byteOffset, acc.byteOffset, n);
  k.bf16_axpy_out(coefficients[last], sources[last].byteOffset, acc.byteOffset, out.byteOffset, n);
  return true;
}

/**
 * Scratch memory laid out per use: in kernel memory when the kernels are available (so SIMD
 * reaches the data without copies), else in a plain buffer. Views from one `layout` call stay
 * valid until the next call (growing the memory detaches older views).
 */
export class ScratchArena {
  #plain?: ArrayBuffer;

  layout(sizes: readonly number[]): Uint8Array[] {
    const offsets: number[] = [];
    let total = 0;
    for (const s of sizes) {
      offsets.push(total);
      total += Math.ceil(s / 16) * 16;
    }
    const k = mergeKernels();
    let buffer: ArrayBufferLike;
    if (k) {
      ensureMemory(k.memory, total);
      buffer = k.memory.buffer;
    } else {
      if (!this.#plain || this.#plain.byteLength < total) this.#plain = new ArrayBuffer(Math.max(total, 16));
      buffer = this.#plain;
    }
    return sizes.map((s, i) => new Uint8Array(buffer, offsets[i], s));
  }
}
