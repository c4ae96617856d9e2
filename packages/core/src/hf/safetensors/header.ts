import { AyaError } from '../../errors';
import { DTYPE_BYTES, isDtype, type Dtype } from './dtype';

/** The largest header the format allows (the Rust crate's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a safetensors file; `begin`/`end` are absolute byte offsets in the file. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A parsed and validated header. */
export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in file order. */
  readonly tensors: readonly TensorInfo[];
  /** Offset of the first data byte (8 + header length). */
  readonly dataStart: number;
}

/** A corrupt or malformed safetensors file. */
export class SafetensorsError extends AyaError {}

/**
 * Parses and validates a header as the Rust crate does: UTF-8 JSON object, known dtypes,
 * integer shapes, `end − begin = numel · sizeof(dtype)`, offsets contiguous from 0 with
 * no gaps or overlaps, and the last tensor ending exactly at the end of the file.
 */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`${file}: header is not valid UTF-8`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`${file}: header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(`${file}: header is not a JSON object`);
  const dataStart = 8 + headerBytes.byteLength;
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) {
        throw new SafetensorsError(`${file}: __metadata__ must map strings to strings`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(entry?.dtype)) throw new SafetensorsError(`${file}: tensor '${name}' has unknown dtype ${JSON.stringify(entry?.dtype)}`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${file}: tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      throw new SafetensorsError(`${file}: tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const expected = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[entry.dtype];
    if (offsets[1] - offsets[0] !== expected) {
      throw new SafetensorsError(
        `${file}: tensor '${name}' is ${offsets[1] - offsets[0]} bytes but shape [${shape.join(', ')}] × ${entry.dtype} needs ${expected}`,
      );
    }
    tensors.push({ name, dtype: entry.dtype, shape, begin: dataStart + offsets[0], end: dataStart + offsets[1] });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const t of tensors) {
    if (t.begin !== cursor) {
      const what = t.begin < cursor ? 'overlaps the tensor before it' : 'leaves a gap before it';
      throw new SafetensorsError(`${file}: tensor '${t.name}' ${what} (data_offsets start ${t.begin - dataStart}, expected ${cursor - dataStart})`);
    }
    cursor = t.end;
  }
  if (cursor - dataStart > dataLength) {
    const last = tensors[tensors.length - 1];
    throw new SafetensorsError(
      `${file}: truncated: tensor '${last.name}' ends at byte ${cursor - dataStart} of the data but the file holds ${dataLength} data bytes`,
    );
  }
  if (cursor - dataStart < dataLength) {
    throw new SafetensorsError(`${file}: ${dataLength - (cursor - dataStart)} bytes after the last tensor are not described by the header`);
  }
  return { metadata, tensors, dataStart };
}
