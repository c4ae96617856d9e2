import { readFileSync, writeFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bf16ToF32,
  Checkpoint,
  DTYPE_BYTES,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  fromFloat32,
  SafetensorsError,
  SafetensorsFile,
  toFloat32,
  writeCheckpoint,
  writeSafetensors,
  type Dtype,
} from '@aya-fw/core';
import { modelDir } from './fixtures';

const tmp = () => mkdtempSync(join(tmpdir(), 'aya-st-'));

/** A file with an arbitrary header and data section. */
function rawFile(header: string | Uint8Array, data = new Uint8Array(0), declaredLength?: bigint): string {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, declaredLength ?? BigInt(h.byteLength), true);
  const path = join(tmp(), 'x.safetensors');
  writeFileSync(path, Buffer.concat([prefix, h, data]));
  return path;
}

describe('dtype conversions', () => {
  it('bf16 is the upper half of f32, rounded to nearest even', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc049)).toBeCloseTo(-3.140625, 10);
    // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
    expect(bf16ToF32(f32ToBf16(-Infinity))).toBe(-Infinity);
  });

  it('f16 follows IEEE half precision, subnormals and overflow included', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(-2)).toBe(0xc000);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f32ToF16(2 ** -24)).toBe(0x0001);
    expect(f16ToF32(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie to even
  });

  it.each(Object.keys(DTYPE_BYTES).filter((d) => !d.startsWith('F8')) as Dtype[])('%s round-trips representable values', (dtype) => {
    const values = dtype === 'BOOL' ? [0, 1, 1, 0] : dtype.startsWith('U') ? [0, 1, 7, 200] : [-3, 0, 1.5, 100].map((v) => (dtype.startsWith('I') ? Math.round(v) : v));
    const bytes = fromFloat32(dtype, values);
    expect(bytes.byteLength).toBe(values.length * DTYPE_BYTES[dtype]);
    expect(Array.from(toFloat32(dtype, bytes))).toEqual(values);
  });
});

describe('safetensors files', () => {
  it('writes what the reference writer writes, byte for byte', () => {
    for (const name of ['llama', 'qwen2', 'gpt2']) {
      const source = join(modelDir(name), 'model.safetensors');
      const f = SafetensorsFile.open(source);
      const out = join(tmp(), 'copy.safetensors');
      writeSafetensors(out, [...f.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: () => f.readBytes(t.name) })), f.metadata);
      f.close();
      expect(readFileSync(out).equals(readFileSync(source))).toBe(true);
    }
  });

  it('reads every dtype, metadata, 0-rank and empty tensors; pads the header to 8 bytes', () => {
    const path = join(tmp(), 'all.safetensors');
    const dtypes = Object.keys(DTYPE_BYTES).filter((d) => !d.startsWith('F8')) as Dtype[];
    writeSafetensors(
      path,
      [
        ...dtypes.map((dtype) => ({ name: `t_${dtype}`, dtype, shape: [2], bytes: fromFloat32(dtype, [1, 0]) })),
        { name: 'scalar', dtype: 'F32' as Dtype, shape: [], bytes: fromFloat32('F32', [2.5]) },
        { name: 'empty', dtype: 'F32' as Dtype, shape: [0, 3], bytes: new Uint8Array(0) },
      ],
      { format: 'pt', note: 'é' },
    );
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const f = SafetensorsFile.open(path);
    expect(f.metadata).toEqual({ format: 'pt', note: 'é' });
    for (const d of dtypes) expect(Array.from(f.readFloat32(`t_${d}`))).toEqual([1, 0]);
    expect(Array.from(f.readFloat32('scalar'))).toEqual([2.5]);
    expect(f.readFloat32('empty').length).toBe(0);
    // Rust layout: dtype descending (U64, I64, F64, F32…) then name.
    expect([...f.tensors.values()].sort((a, b) => a.begin - b.begin).map((t) => t.name).slice(0, 4)).toEqual(['t_U64', 't_I64', 't_F64', 'empty']);
    f.close();
  });

  const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
  it.each([
    ['a file shorter than 8 bytes', () => { const p = join(tmp(), 's'); writeFileSync(p, Buffer.from([1, 2])); return p; }, 'truncated: 2 bytes'],
    ['a header longer than the file', () => rawFile('{}', undefined, 1000n), 'header length 1000 is longer than the file'],
    ['a header over 100 MB', () => rawFile('{}', undefined, 200_000_000n), 'header length 200000000 is over the 100 MB limit'],
    ['a non-UTF-8 header', () => rawFile(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 'header is not valid UTF-8'],
    ['a header that is not JSON', () => rawFile('{"a": '), 'header is not valid JSON'],
    ['an unknown dtype', () => rawFile(JSON.stringify({ a: entry('F128', [1], [0, 16]) }), new Uint8Array(16)), "tensor 'a' has unknown dtype \"F128\""],
    ['shape × dtype ≠ byte length', () => rawFile(JSON.stringify({ a: entry('F32', [3], [0, 8]) }), new Uint8Array(8)), "tensor 'a' is 8 bytes but shape [3] × F32 needs 12"],
    ['overlapping offsets', () => rawFile(JSON.stringify({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }), new Uint8Array(12)), "tensor 'b' overlaps the tensor before it"],
    ['a gap between tensors', () => rawFile(JSON.stringify({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }), new Uint8Array(12)), "tensor 'b' leaves a gap before it"],
    ['out-of-range offsets (truncated data)', () => rawFile(JSON.stringify({ a: entry('F32', [4], [0, 16]) }), new Uint8Array(10)), "truncated: tensor 'a' ends at byte 16 of the data but the file holds 10 data bytes"],
    ['bytes after the last tensor', () => rawFile(JSON.stringify({ a: entry('F32', [1], [0, 4]) }), new Uint8Array(9)), '5 bytes after the last tensor are not described'],
    ['negative offsets', () => rawFile(JSON.stringify({ a: entry('F32', [1], [-4, 0]) }), new Uint8Array(4)), "tensor 'a' has invalid data_offsets [-4,0]"],
  ])('rejects %s with an error naming the file', (_what, make, message) => {
    const path = make();
    expect(() => SafetensorsFile.open(path)).toThrow(SafetensorsError);
    expect(() => SafetensorsFile.open(path)).toThrow(`${path}: ${message}`);
  });
});

describe('sharded checkpoints', () => {
  it('split past the shard size with an index, and read back through it', () => {
    const dir = tmp();
    const tensors = ['a', 'b', 'c'].map((name, i) => ({ name, dtype: 'F32' as Dtype, shape: [4], bytes: fromFloat32('F32', [i, i, i, i]) }));
    const files = writeCheckpoint(dir, tensors, { maxShardSize: 20 });
    expect(files).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json']);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(index).toEqual({ metadata: { total_size: 48 }, weight_map: { a: files[0], b: files[1], c: files[2] } });
    const ckpt = Checkpoint.open(dir);
    expect(ckpt.names().sort()).toEqual(['a', 'b', 'c']);
    expect(Array.from(ckpt.readFloat32('c'))).toEqual([2, 2, 2, 2]);
    ckpt.close();
  });

  it('name a weight_map entry its shard does not hold, and a folder without weights', () => {
    const dir = tmp();
    writeCheckpoint(dir, ['a', 'b'].map((name) => ({ name, dtype: 'F32' as Dtype, shape: [1], bytes: fromFloat32('F32', [1]) })), { maxShardSize: 4 });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    index.weight_map.a = index.weight_map.b;
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    expect(() => Checkpoint.open(dir)).toThrow(`weight_map names 'a' in model-00002-of-00002.safetensors, which does not hold it`);
    const empty = tmp();
    expect(() => Checkpoint.open(empty)).toThrow(`${empty}: no model.safetensors or model.safetensors.index.json`);
    expect(readdirSync(empty)).toEqual([]);
  });
});
