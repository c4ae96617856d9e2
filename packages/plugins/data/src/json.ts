import { readFileSync } from 'node:fs';
import { DataError, type DataRecord, type DatasetFormatDefinition } from '@aya-fw/core';

/** A JSON array of objects (or `{ "data": [...] }`, or one object of columns as Hugging Face writes). */
export const json: DatasetFormatDefinition = {
  id: 'json',
  description: 'JSON: an array of row objects, {"data": [...]}, or columns {"col": [...]}',
  extensions: ['.json'],
  async *read(file): AsyncGenerator<DataRecord> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new DataError(`${file}: invalid JSON (${(err as Error).message})`);
    }
    const rows = toRows(parsed, file);
    for (let i = 0; i < rows.length; i++) {
      const where = `${file}#${i}`;
      const row = rows[i];
      if (typeof row !== 'object' || row === null || Array.isArray(row)) yield { where, error: 'expected a JSON object' };
      else yield { where, row: row as Record<string, unknown> };
    }
  },
};

function toRows(parsed: unknown, file: string): unknown[] {
  if (Array.isArray(parsed)) return parsed;
  if (typeof parsed === 'object' && parsed !== null) {
    const o = parsed as Record<string, unknown>;
    if (Array.isArray(o.data)) return o.data;
    const columns = Object.entries(o);
    if (columns.length && columns.every(([, v]) => Array.isArray(v))) {
      const n = (columns[0][1] as unknown[]).length;
      if (columns.some(([, v]) => (v as unknown[]).length !== n)) throw new DataError(`${file}: columns have different lengths`);
      return Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map(([k, v]) => [k, (v as unknown[])[i]])));
    }
  }
  throw new DataError(`${file}: expected an array of rows, {"data": [...]} or an object of equal-length columns`);
}
