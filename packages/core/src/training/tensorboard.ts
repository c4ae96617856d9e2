import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as TFRecord uses. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: ((crc >>> 15) | (crc << 17)) + 0xa282ead8. */
export function maskedCrc(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Minimal protobuf writer for the few Event and Summary fields TensorBoard reads. */
class Proto {
  readonly bytes: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt(v);
    while (x >= 0x80n) {
      this.bytes.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    this.bytes.push(Number(x));
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.key(field, 1).bytes.push(...b);
    return this;
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.key(field, 5).bytes.push(...b);
    return this;
  }
  int64(field: number, v: number): this {
    return this.key(field, 0).varint(v);
  }
  bytesField(field: number, b: Uint8Array | number[]): this {
    this.key(field, 2).varint(b.length).bytes.push(...b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * Writes TensorBoard event files (`events.out.tfevents.*`): TFRecords of `Event` protos with
 * scalar `Summary` values, readable by TensorBoard without TensorFlow installed here.
 */
export class TensorBoardWriter {
  readonly file: string;
  readonly #fd: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.#fd = openSync(this.file, 'a');
    this.#record(new Proto().double(1, Date.now() / 1000).int64(2, 0).string(3, 'brain.Event:2').done());
  }

  /** One scalar per tag at `step`. */
  scalars(step: number, values: Readonly<Record<string, number>>): void {
    const summary = new Proto();
    for (const [tag, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      summary.bytesField(1, new Proto().string(1, tag).float(2, v).done());
    }
    this.#record(new Proto().double(1, Date.now() / 1000).int64(2, step).bytesField(5, summary.done()).done());
  }

  #record(data: Uint8Array): void {
    const header = new Uint8Array(8);
    new DataView(header.buffer).setBigUint64(0, BigInt(data.length), true);
    const crcs = new Uint8Array(4);
    new DataView(crcs.buffer).setUint32(0, maskedCrc(header), true);
    const tail = new Uint8Array(4);
    new DataView(tail.buffer).setUint32(0, maskedCrc(data), true);
    writeSync(this.#fd, Buffer.concat([header, crcs, data, tail]));
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** One TFRecord of an event file: its bytes as written and the Event's step. */
interface EventRecord {
  readonly bytes: Uint8Array;
  readonly step: number;
  /** The Event proto. */
  readonly data: Uint8Array;
}

/** The complete records of an event file, in order; a record cut short by a crash ends the list. */
function readRecords(file: string): EventRecord[] {
  const buf = readFileSync(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: EventRecord[] = [];
  for (let at = 0; at + 12 <= buf.length; ) {
    const length = Number(view.getBigUint64(at, true));
    const end = at + 12 + length + 4;
    if (end > buf.length) break;
    const data = buf.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== maskedCrc(data)) break;
    records.push({ bytes: buf.subarray(at, end), step: Number(protoFields(data).find((f) => f.field === 2)?.value ?? 0), data });
    at = end;
  }
  return records;
}

/** Top-level fields of a protobuf message: varints as numbers, length-delimited ones as bytes, fixed64/32 as bytes. */
function protoFields(b: Uint8Array): { field: number; value: number | Uint8Array }[] {
  const out: { field: number; value: number | Uint8Array }[] = [];
  let i = 0;
  const varint = () => {
    let x = 0n;
    for (let shift = 0n; i < b.length; shift += 7n) {
      const byte = b[i++];
      x |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    return x;
  };
  while (i < b.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) out.push({ field, value: Number(varint()) });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, value: b.subarray(i, i + n) });
      i += n;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      out.push({ field, value: b.subarray(i, i + n) });
      i += n;
    } else break;
  }
  return out;
}

function eventFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).sort().map((f) => join(dir, f)) : [];
}

/**
 * Drops every event after `step` from the event files in `dir` (each rewritten to a temporary file
 * and renamed over the old one): a resumed run rewrites those steps, and TensorBoard would
 * otherwise draw each of them twice.
 */
export function truncateEvents(dir: string, step: number): void {
  for (const file of eventFiles(dir)) {
    const records = readRecords(file);
    const kept = records.filter((r, i) => i === 0 || r.step <= step);
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, Buffer.concat(kept.map((r) => r.bytes)));
    renameSync(tmp, file);
  }
}

/** Every scalar in the event files of `dir`, in file and write order: what TensorBoard would draw. */
export function readScalarEvents(dir: string): { step: number; tag: string; value: number }[] {
  const out: { step: number; tag: string; value: number }[] = [];
  for (const file of eventFiles(dir)) {
    for (const r of readRecords(file)) {
      for (const summary of protoFields(r.data).filter((f) => f.field === 5)) {
        for (const v of protoFields(summary.value as Uint8Array).filter((f) => f.field === 1)) {
          const fields = protoFields(v.value as Uint8Array);
          const tag = new TextDecoder().decode(fields.find((f) => f.field === 1)?.value as Uint8Array);
          const simple = fields.find((f) => f.field === 2)?.value as Uint8Array | undefined;
          if (simple) out.push({ step: r.step, tag, value: new DataView(simple.buffer, simple.byteOffset, 4).getFloat32(0, true) });
        }
      }
    }
  }
  return out;
}
