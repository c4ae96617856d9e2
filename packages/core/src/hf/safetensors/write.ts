import { AyaError } from '../../errors';
import { syncSink, type ByteSink } from '../../fs/background-writer';
import { DTYPE_BYTES, DTYPE_ORDER, type Dtype } from './dtype';

/**
 * A tensor to write. `bytes` may be a thunk so tensors are produced one at a time, and the
 * thunk may yield the tensor in consecutive chunks (each chunk is written before the next is asked for).
 */
export interface TensorToWrite {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array | (() => Uint8Array | Iterable<Uint8Array>);
}

/** Bytes a tensor takes: numel × sizeof(dtype). */
export function tensorByteLength(dtype: Dtype, shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
}

/** The Rust writer's layout: dtype descending in its declaration order, then name ascending. */
export function sortForWriting<T extends { name: string; dtype: Dtype }>(tensors: readonly T[]): T[] {
  return [...tensors].sort((a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Writes a safetensors file as the reference writer does: `__metadata__` first, tensors in
 * its sorted layout, header padded with spaces to a multiple of 8 bytes. Tensor bytes are
 * requested and written one tensor at a time, through `sink` (plain synchronous writes by default).
 */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Readonly<Record<string, string>>, sink: ByteSink = syncSink): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new AyaError(`${path}: tensor '${t.name}' is given twice`);
    seen.add(t.name);
  }
  const ordered = sortForWriting(tensors);
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of ordered) {
    const n = tensorByteLength(t.dtype, t.shape);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padded = Math.ceil(headerBytes.byteLength / 8) * 8;
  if (padded !== headerBytes.byteLength) {
    json += ' '.repeat(padded - headerBytes.byteLength);
    headerBytes = encoder.encode(json);
  }
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  const fd = sink.open(path);
  try {
    sink.write(fd, prefix);
    sink.write(fd, headerBytes);
    for (const t of ordered) {
      const produced = typeof t.bytes === 'function' ? t.bytes() : t.bytes;
      const chunks = produced instanceof Uint8Array ? [produced] : produced;
      const expected = tensorByteLength(t.dtype, t.shape);
      let written = 0;
      for (const bytes of chunks) {
        written += bytes.byteLength;
        if (written > expected) break;
        sink.write(fd, bytes);
      }
      if (written !== expected) {
        const got = written > expected ? `more than ${expected}` : `${written}`;
        throw new AyaError(`${path}: tensor '${t.name}' has ${got} bytes; shape [${t.shape.join(', ')}] × ${t.dtype} needs ${expected}`);
      }
    }
  } finally {
    sink.close(fd);
  }
}
