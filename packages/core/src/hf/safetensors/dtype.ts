import { AyaError } from '../../errors';
import { bf16ToF32Kernel, f32ToBf16Kernel } from '../../kernels/merge-kernels';

/** The dtypes safetensors names, with their sizes in bytes (sub-byte and fp8 types are read only as raw bytes). */
export const DTYPE_BYTES = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
});
export type Dtype = keyof typeof DTYPE_BYTES;

/** The Rust crate's `Dtype` declaration order; its writer sorts tensors by it, descending, then by name. */
export const DTYPE_ORDER: readonly Dtype[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bf16 bits → f32: the upper 16 bits of an IEEE f32. */
export function bf16ToF32(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

/** f32 → bf16 bits, rounding to nearest even (NaN stays a quiet NaN). */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x0040) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** IEEE half bits → f32. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** f32 → IEEE half bits, rounding to nearest even, overflowing to ±Inf. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let out = mant >>> shift;
    if (rest > half || (rest === half && out & 1)) out++;
    return sign | out;
  }
  const rest = mant & 0x1fff;
  let out = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++;
  return sign | out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes little-endian tensor bytes of a float or integer dtype into f32 values. */
export function toFloat32(dtype: Dtype, bytes: Uint8Array, name = 'tensor'): Float32Array {
  return toFloat32Into(dtype, bytes, new Float32Array(bytes.byteLength / DTYPE_BYTES[dtype]), name);
}

/** {@link toFloat32} into a caller's buffer of exactly the right length (streaming merges reuse buffers). */
export function toFloat32Into(dtype: Dtype, bytes: Uint8Array, out: Float32Array, name = 'tensor'): Float32Array {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  if (out.length !== n) throw new AyaError(`${name}: ${n} values do not fit a buffer of ${out.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const aligned = LITTLE_ENDIAN && bytes.byteOffset % DTYPE_BYTES[dtype] === 0 && out.byteOffset % 4 === 0;
  switch (dtype) {
    case 'F32':
      if (aligned) {
        out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
        return out;
      }
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'BF16':
      if (aligned && bf16ToF32Kernel(bytes, out)) return out;
      if (aligned) {
        // The fast path of streaming merges: a bf16 value is the upper half of an f32 (int32 stores stay in V8's fast path).
        const src = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
        const dst = new Int32Array(out.buffer, out.byteOffset, n);
        for (let i = 0; i < n; i++) dst[i] = src[i] << 16;
        return out;
      }
      for (let i = 0; i < n; i++) out[i] = bf16ToF32(view.getUint16(i * 2, true));
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      return out;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
      return out;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      return out;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      return out;
    default:
      throw new AyaError(`${name}: dtype ${dtype} cannot be widened to f32`);
  }
}

/** Encodes f32 values as little-endian bytes of `dtype` (floats round to nearest even; integers round and must fit). */
export function fromFloat32(dtype: Dtype, values: ArrayLike<number>, name = 'tensor'): Uint8Array {
  return fromFloat32Into(dtype, values, new Uint8Array(values.length * DTYPE_BYTES[dtype]), name);
}

/** {@link fromFloat32} into a caller's byte buffer of exactly the right length. */
export function fromFloat32Into(dtype: Dtype, values: ArrayLike<number>, out: Uint8Array, name = 'tensor'): Uint8Array {
  const n = values.length;
  if (out.byteLength !== n * DTYPE_BYTES[dtype]) throw new AyaError(`${name}: ${n} ${dtype} values do not fit ${out.byteLength} bytes`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const aligned = LITTLE_ENDIAN && out.byteOffset % DTYPE_BYTES[dtype] === 0;
  switch (dtype) {
    case 'F32':
      if (aligned) {
        new Float32Array(out.buffer, out.byteOffset, n).set(values);
        return out;
      }
      for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i], true);
      return out;
    case 'BF16':
      if (aligned && values instanceof Float32Array && f32ToBf16Kernel(values, out)) return out;
      if (aligned && values instanceof Float32Array && values.byteOffset % 4 === 0) {
        const src = new Int32Array(values.buffer, values.byteOffset, n);
        const dst = new Uint16Array(out.buffer, out.byteOffset, n);
        for (let i = 0; i < n; i++) {
          const x = src[i];
          dst[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x0040 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
        }
        return out;
      }
      for (let i = 0; i < n; i++) view.setUint16(i * 2, f32ToBf16(values[i]), true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, f32ToF16(values[i]), true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) view.setFloat64(i * 8, values[i], true);
      return out;
    case 'I64':
      for (let i = 0; i < n; i++) view.setBigInt64(i * 8, BigInt(Math.round(values[i])), true);
      return out;
    case 'U64':
      for (let i = 0; i < n; i++) view.setBigUint64(i * 8, BigInt(Math.round(values[i])), true);
      return out;
    case 'I32':
      for (let i = 0; i < n; i++) view.setInt32(i * 4, Math.round(values[i]), true);
      return out;
    case 'U32':
      for (let i = 0; i < n; i++) view.setUint32(i * 4, Math.round(values[i]), true);
      return out;
    case 'I16':
      for (let i = 0; i < n; i++) view.setInt16(i * 2, Math.round(values[i]), true);
      return out;
    case 'U16':
      for (let i = 0; i < n; i++) view.setUint16(i * 2, Math.round(values[i]), true);
      return out;
    case 'I8':
      for (let i = 0; i < n; i++) view.setInt8(i, Math.round(values[i]));
      return out;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = Math.round(values[i]);
      return out;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
      return out;
    default:
      throw new AyaError(`${name}: cannot encode f32 values as ${dtype}`);
  }
}
