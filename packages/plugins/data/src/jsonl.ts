import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DataRecord, DatasetFormatDefinition } from '@aya-fw/core';

/** JSON Lines, streamed line by line; a line that is not a JSON object is a record naming `file:line`. */
export const jsonl: DatasetFormatDefinition = {
  id: 'jsonl',
  description: 'JSON Lines (one object per line), streamed',
  extensions: ['.jsonl', '.ndjson'],
  async *read(file): AsyncGenerator<DataRecord> {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (!line.trim()) continue;
      const where = `${file}:${n}`;
      try {
        const row = JSON.parse(line);
        if (typeof row !== 'object' || row === null || Array.isArray(row)) yield { where, error: 'expected a JSON object' };
        else yield { where, row };
      } catch (err) {
        yield { where, error: `invalid JSON (${(err as Error).message})` };
      }
    }
  },
};
