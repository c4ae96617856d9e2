import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { errorMessage } from '../../errors';
import { DTYPE_BYTES, toFloat32 } from './dtype';
import { MAX_HEADER_BYTES, parseHeader, SafetensorsError, type TensorInfo } from './header';

/** Node cannot read 2 GiB or more at once; read in chunks no larger than this. */
export const MAX_READ_BYTES = 1 << 30;

/** Reads `length` bytes at `position` into `target`, in chunks of at most 1 GiB; short reads are truncation. */
export function readFully(fd: number, target: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < target.byteLength) {
    const n = Math.min(MAX_READ_BYTES, target.byteLength - done);
    const got = readSync(fd, target, done, n, position + done);
    if (got === 0) throw new SafetensorsError(`${file}: truncated: expected ${target.byteLength} bytes at offset ${position}, got ${done}`);
    done += got;
  }
}

/**
 * A safetensors file opened for tensor-by-tensor reading with positional reads: opening
 * reads only the header; each tensor is read on demand, never the whole file.
 */
export class SafetensorsFile {
  readonly #fd: number;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  #closed = false;

  private constructor(
    readonly path: string,
    fd: number,
    readonly metadata: Readonly<Record<string, string>>,
    tensors: readonly TensorInfo[],
    readonly size: number,
  ) {
    this.#fd = fd;
    this.tensors = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Opens and validates a file; every malformation is a {@link SafetensorsError} naming the file. */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new SafetensorsError(`${path}: cannot open: ${errorMessage(err)}`);
    }
    try {
      const size = fstatSync(fd).size;
      if (size < 8) throw new SafetensorsError(`${path}: truncated: ${size} bytes, too short for the 8-byte header length`);
      const prefix = new Uint8Array(8);
      readFully(fd, prefix, 0, path);
      const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
      if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`${path}: header length ${headerLength} is over the 100 MB limit`);
      if (headerLength > BigInt(size - 8)) throw new SafetensorsError(`${path}: header length ${headerLength} is longer than the file (${size} bytes)`);
      const header = new Uint8Array(Number(headerLength));
      readFully(fd, header, 8, path);
      const parsed = parseHeader(path, header, size);
      return new SafetensorsFile(path, fd, parsed.metadata, parsed.tensors, size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The tensor's description, or an error naming the file and tensor. */
  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(`${this.path}: no tensor '${name}'`);
    return t;
  }

  /** The tensor's raw little-endian bytes. */
  readBytes(name: string): Uint8Array {
    const t = this.info(name);
    const out = new Uint8Array(t.end - t.begin);
    readFully(this.#fd, out, t.begin, this.path);
    return out;
  }

  /**
   * Reads `count` values of a tensor starting at value `start` into `target` (which must hold
   * exactly `count` values' bytes): chunked streaming without allocating.
   */
  readInto(name: string, target: Uint8Array, start = 0): Uint8Array {
    const t = this.info(name);
    const size = DTYPE_BYTES[t.dtype];
    const begin = t.begin + start * size;
    if (begin + target.byteLength > t.end) throw new SafetensorsError(`${this.path}: read past the end of tensor '${name}'`);
    readFully(this.#fd, target, begin, this.path);
    return target;
  }

  /** The tensor's values widened to f32 (bf16, f16 and integers included). */
  readFloat32(name: string): Float32Array {
    return toFloat32(this.info(name).dtype, this.readBytes(name), `${this.path}: ${name}`);
  }

  close(): void {
    if (!this.#closed) closeSync(this.#fd);
    this.#closed = true;
  }
}
