import { definePlugin } from '@aya-fw/core';
import { json } from './json';
import { jsonl } from './jsonl';
import { parquet } from './parquet';

export { json } from './json';
export { jsonl } from './jsonl';
export { parquet } from './parquet';

/** JSON Lines, JSON and Parquet datasets. */
export default definePlugin({
  name: '@aya-fw/plugin-data',
  contributes: { datasetFormats: [jsonl, json, parquet] },
});
