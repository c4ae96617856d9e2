import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../engine/engine';
import { writeCheckpoint } from '../hf/safetensors/checkpoint';
import type { TensorToWrite } from '../hf/safetensors/write';
import { runMerge } from './run-merge';

/** Options of {@link benchMerge}. */
export interface BenchMergeOptions {
  /** Size of each synthetic bf16 model in GB (default 2). */
  readonly sizeGb?: number;
  /** Number of models in the pool (default 3). */
  readonly models?: number;
  /** Merge method (default linear; task-vector methods use the first model as base). */
  readonly method?: string;
  /** Folder for the pool and the output (default a temporary folder, removed afterwards); a pool already there is reused. */
  readonly dir?: string;
  readonly keep?: boolean;
}

/** What {@link benchMerge} measured. */
export interface BenchMergeResult {
  readonly method: string;
  readonly models: number;
  readonly inputGb: number;
  /** Sequential read of the same files with a warm page cache. */
  readonly readGbPerSecond: number;
  readonly mergeSeconds: number;
  readonly mergeGbPerSecond: number;
  /** Merge throughput as a share of the raw read rate. */
  readonly ratio: number;
  /** Plain file copies doing the merge's I/O: every input read once, one output of the same size written. */
  readonly copySeconds: number;
  readonly peakRssMb: number;
}

/** A Llama-shaped bf16 checkpoint of about `gb` GB with random values, written tensor by tensor. */
export function writeSyntheticModel(dir: string, gb: number, seed: number): void {
  const hidden = 2048;
  const inter = 8192;
  const vocab = 32000;
  const perLayer = 4 * hidden * hidden + 3 * hidden * inter + 2 * hidden;
  const layers = Math.max(1, Math.round((gb * 1e9) / 2 / perLayer));
  mkdirSync(dir, { recursive: true });
  const config = {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: hidden, intermediate_size: inter,
    num_hidden_layers: layers, num_attention_heads: 16, num_key_value_heads: 16, max_position_embeddings: 4096, rms_norm_eps: 1e-5,
    tie_word_embeddings: true, dtype: 'bfloat16',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  let state = (seed * 2654435761 + 1) >>> 0;
  const random = (shape: number[]) => () => {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      // Random sign and mantissa, exponent near 2^-6: values of ±0.008–0.03, like trained weights.
      out[i] = (state >>> 31) << 15 | 0x3c00 | ((state >>> 8) & 0x7f);
    }
    return new Uint8Array(out.buffer);
  };
  const tensors: TensorToWrite[] = [{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [vocab, hidden], bytes: random([vocab, hidden]) }];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    for (const [n, shape] of [
      ['self_attn.q_proj', [hidden, hidden]], ['self_attn.k_proj', [hidden, hidden]], ['self_attn.v_proj', [hidden, hidden]], ['self_attn.o_proj', [hidden, hidden]],
      ['mlp.gate_proj', [inter, hidden]], ['mlp.up_proj', [inter, hidden]], ['mlp.down_proj', [hidden, inter]],
    ] as const) {
      tensors.push({ name: `${p}.${n}.weight`, dtype: 'BF16', shape: [...shape], bytes: random([...shape]) });
    }
    tensors.push({ name: `${p}.input_layernorm.weight`, dtype: 'BF16', shape: [hidden], bytes: random([hidden]) });
    tensors.push({ name: `${p}.post_attention_layernorm.weight`, dtype: 'BF16', shape: [hidden], bytes: random([hidden]) });
  }
  tensors.push({ name: 'model.norm.weight', dtype: 'BF16', shape: [hidden], bytes: random([hidden]) });
  writeCheckpoint(dir, tensors, { maxShardSize: 1e9 });
}

function flush(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads every file sequentially in 64 MiB chunks; returns bytes read. */
function readAll(files: readonly string[]): number {
  const buffer = Buffer.allocUnsafe(64 << 20);
  let total = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      let n: number;
      while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) total += n;
    } finally {
      closeSync(fd);
    }
  }
  return total;
}

/** Methods that merge the base with exactly one other model, or exactly two models, or copy one. */
const TWO_WITH_BASE = new Set(['slerp', 'nearswap', 'arcee-fusion']);

/**
 * A mergekit config for `method` over the pool `model-0…`: the base is model-0 when the method
 * uses one; each other model gets `weight` 1/n and `density` 0.5 where the method takes them;
 * required method parameters (`t`) are 0.5.
 */
function benchConfig(engine: Engine, method: string, count: number): { yaml: string; models: number[] } {
  const def = engine.resolve('mergeMethods', method.replace(/_/g, '-'));
  const takes = (n: string) => def.tensorParameters.some((p) => p.name === n);
  const usesBase = def.requiresBase || ['karcher', 'multislerp'].includes(def.id);
  const models =
    def.id === 'passthrough' ? [0] : TWO_WITH_BASE.has(def.id) ? [0, 1] : def.id === 'nuslerp' ? [1, 2] : Array.from({ length: count }, (_, i) => i);
  const others = models.filter((i) => !(usesBase && i === 0)).length;
  const params = (i: number) => {
    const p = [...(takes('weight') ? [`weight: ${(1 / Math.max(others, 1)).toFixed(4)}`] : []), ...(takes('density') ? ['density: 0.5'] : [])];
    return usesBase && i === 0 ? '' : p.length ? `\n    parameters: { ${p.join(', ')} }` : '';
  };
  const required = def.parameters.filter((p) => p.default === undefined && !p.optional).map((p) => `${p.name}: 0.5`);
  const yaml = [
    `merge_method: ${def.id}`,
    ...(usesBase ? ['base_model: model-0'] : []),
    'models:',
    ...models.map((i) => `  - model: model-${i}${params(i)}`),
    ...(required.length ? [`parameters: { ${required.join(', ')} }`] : []),
    'dtype: bfloat16',
  ].join('\n');
  return { yaml, models };
}

/**
 * `aya-fw bench merge`: writes a pool of synthetic bf16 checkpoints, measures the raw
 * sequential read rate of its files with a warm page cache, then merges them and reports the
 * merge's read throughput next to it, with the process's peak RSS.
 */
export async function benchMerge(engine: Engine, options: BenchMergeOptions = {}): Promise<BenchMergeResult> {
  const count = options.models ?? 3;
  const method = options.method ?? 'linear';
  const root = options.dir ?? mkdtempSync(join(tmpdir(), 'aya-bench-merge-'));
  try {
    const dirs = Array.from({ length: count }, (_, i) => join(root, `model-${i}`));
    // A kept pool (--dir … --keep) is reused, so several methods can be timed on the same files.
    dirs.forEach((d, i) => existsSync(join(d, 'config.json')) || writeSyntheticModel(d, options.sizeGb ?? 2, i + 1));
    const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.safetensors')).map((f) => join(d, f)));
    // Flush the pool to disk first: its write-back would otherwise compete with the timed merge.
    for (const f of files) flush(f);
    readAll(files);
    const t0 = process.hrtime.bigint();
    const bytes = readAll(files);
    const readSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const t1 = process.hrtime.bigint();
    // The merge's I/O as plain copies: its first input copied to a new folder, its other inputs read.
    const { yaml, models: used } = benchConfig(engine, method, dirs.length);
    const copyDir = join(root, 'copy');
    mkdirSync(copyDir);
    const shards = (d: string) => readdirSync(d).filter((f) => f.endsWith('.safetensors'));
    const [first, ...rest] = used.map((i) => dirs[i]);
    for (const f of shards(first)) copyFileSync(join(first, f), join(copyDir, f));
    readAll(rest.flatMap((d) => shards(d).map((f) => join(d, f))));
    const copySeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    rmSync(copyDir, { recursive: true, force: true });
    const configFile = join(root, 'merge.yml');
    writeFileSync(configFile, yaml + '\n');
    const out = join(root, 'merged');
    rmSync(out, { recursive: true, force: true });
    const summary = await runMerge(engine, configFile, { outDir: out, maxShardSize: 1e9 });
    const mergeGbPerSecond = summary.inputBytes / 1e9 / summary.seconds;
    const readGbPerSecond = bytes / 1e9 / readSeconds;
    return {
      method,
      models: count,
      inputGb: summary.inputBytes / 1e9,
      readGbPerSecond,
      mergeSeconds: summary.seconds,
      mergeGbPerSecond,
      ratio: mergeGbPerSecond / readGbPerSecond,
      copySeconds,
      peakRssMb: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    };
  } finally {
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
}
