// Peak RSS of loading a sharded checkpoint of a few hundred MB: the loader reads one tensor at a
// time, so the peak should stay near the weights themselves plus one tensor.
//   node bench/load-rss.mjs [--mb 300] [--shard-mb 80]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const core = require('@aya-fw/core');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

if (process.argv[2] === '--child') {
  await core.selectBackend('cpu');
  const before = process.memoryUsage().rss;
  const t0 = Date.now();
  const model = core.loadPretrained(process.argv[3]);
  const seconds = (Date.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  let params = 0;
  for (const v of model.namedParameters().values()) params += v.size;
  console.log(JSON.stringify({ baselineRssMB: before / 2 ** 20, peakRssMB: peak / 2 ** 20, weightsMB: (params * 4) / 2 ** 20, seconds }));
  process.exit(0);
}

const targetMB = arg('mb', 300);
const hidden = 512;
const layers = Math.max(1, Math.round((targetMB * 2 ** 20) / 4 / (12 * hidden * hidden)));
const config = core.parseModelConfig({
  model_type: 'llama', vocab_size: 8192, hidden_size: hidden, intermediate_size: 4 * hidden, num_hidden_layers: layers,
  num_attention_heads: 8, num_key_value_heads: 8, max_position_embeddings: 512,
});
await core.selectBackend('cpu');
const dir = join(mkdtempSync(join(tmpdir(), 'aya-load-rss-')), 'model');
const model = core.initModel(config, { seed: 0 });
core.savePretrained(model, dir, { maxShardSize: arg('shard-mb', 80) * 2 ** 20 });
model.dispose();
const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const out = JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', dir], { encoding: 'utf8' }));
console.log(`checkpoint: ${(bytes / 2 ** 20).toFixed(0)} MB in ${files.length} shards (${layers} layers, hidden ${hidden}, f32)`);
console.log(`load: ${out.seconds.toFixed(1)} s, peak RSS ${out.peakRssMB.toFixed(0)} MB = baseline ${out.baselineRssMB.toFixed(0)} MB + weights ${out.weightsMB.toFixed(0)} MB + ${(out.peakRssMB - out.baselineRssMB - out.weightsMB).toFixed(0)} MB`);
rmSync(dir, { recursive: true, force: true });
