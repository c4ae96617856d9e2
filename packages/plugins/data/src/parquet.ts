import type { DataRecord, DatasetFormatDefinition } from '@aya-fw/core';

type Hyparquet = {
  asyncBufferFromFile(file: string): Promise<unknown>;
  parquetMetadataAsync(file: unknown): Promise<{ row_groups: { num_rows: bigint | number }[] }>;
  parquetReadObjects(options: { file: unknown; rowStart?: number; rowEnd?: number; compressors?: unknown }): Promise<Record<string, unknown>[]>;
};

// hyparquet is ESM-only; a real dynamic import keeps this package CommonJS.
const importEsm = new Function('id', 'return import(id)') as (id: string) => Promise<unknown>;

/**
 * Parquet (Hugging Face datasets' files), read one row group at a time, with the zstd, gzip,
 * brotli and snappy codecs of hyparquet-compressors.
 */
export const parquet: DatasetFormatDefinition = {
  id: 'parquet',
  description: 'Parquet, row group by row group (snappy, gzip, zstd, brotli)',
  extensions: ['.parquet'],
  async *read(file): AsyncGenerator<DataRecord> {
    const hp = (await importEsm('hyparquet')) as Hyparquet;
    const { compressors } = (await importEsm('hyparquet-compressors')) as { compressors: unknown };
    const buffer = await hp.asyncBufferFromFile(file);
    const meta = await hp.parquetMetadataAsync(buffer);
    let start = 0;
    for (const group of meta.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await hp.parquetReadObjects({ file: buffer, rowStart: start, rowEnd: end, compressors });
      for (let i = 0; i < rows.length; i++) yield { where: `${file}#${start + i}`, row: normalise(rows[i]) as Record<string, unknown> };
      start = end;
    }
  },
};

/** BigInts (INT64 columns) become numbers so rows look like JSON rows. */
function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}
