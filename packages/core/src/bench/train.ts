import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Engine } from '../engine/engine';
import { logprobsOfTargets } from '../hf/generation/logprobs';
import { generate } from '../hf/generation/generate';
import { readModelConfig } from '../hf/models/config';
import { initModel } from '../hf/models/init';
import { loadPretrained } from '../hf/models/load';
import type { PretrainedModel } from '../hf/models/model';
import { Rng } from '../random/rng';

/** A model folder, or a config.json (random weights when the folder has no safetensors). */
export function benchModel(path: string): PretrainedModel {
  const dir = path.endsWith('.json') ? dirname(path) : path;
  const hasWeights = existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.safetensors'));
  return hasWeights ? loadPretrained(dir) : initModel(readModelConfig(path), { seed: 0 });
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** What `aya-fw bench train` measured. */
export interface BenchTrainResult {
  readonly backend: string;
  readonly params: number;
  readonly batch: number;
  readonly seq: number;
  readonly steps: number;
  readonly stepMs: number;
  readonly tokensPerSecond: number;
  readonly peakRssMb: number;
  readonly tensorsLeakedPerStep: number;
}

/**
 * One training step as the PyTorch yardstick (`shared/bench/torch_reference.py`) does it:
 * forward, cross-entropy over every position, backward and Adam, on random token ids; warm-up
 * steps first, then the median of `steps`.
 */
export function benchTrain(engine: Engine, options: { model: string; batch: number; seq: number; steps: number; warmup?: number }): BenchTrainResult {
  const model = benchModel(options.model);
  const { batch: B, seq: T } = options;
  const rng = new Rng(1);
  const ids = Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => Math.floor(rng.next() * model.config.vocabSize)));
  const inputIds = tf.tensor2d(ids.map((r) => r.slice(0, T)), [B, T], 'int32');
  const targets = tf.tensor2d(ids.map((r) => r.slice(1)), [B, T], 'int32');
  const optimizer = engine.createOptimizer({ optimizer: 'adam', config: { learningRate: 1e-3 } });
  const variables = model.trainableVariables();
  const step = (n: number) =>
    engine.trainStep({
      stage: 'bench',
      step: n,
      optimizer,
      variables,
      loss: () => ({ loss: tf.neg(tf.mean(logprobsOfTargets(model.forward({ inputIds }).logits as tf.Tensor3D, targets))) as tf.Scalar }),
    });
  try {
    const warmup = options.warmup ?? 3;
    for (let i = 0; i < warmup; i++) step(i + 1);
    const before = tf.memory().numTensors;
    const times: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      const t0 = performance.now();
      step(warmup + i + 1);
      times.push(performance.now() - t0);
    }
    const leaked = (tf.memory().numTensors - before) / options.steps;
    const stepMs = median(times);
    return {
      backend: tf.getBackend(),
      params: variables.reduce((n, v) => n + v.size, 0),
      batch: B,
      seq: T,
      steps: options.steps,
      stepMs,
      tokensPerSecond: (B * T) / (stepMs / 1000),
      peakRssMb: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
      tensorsLeakedPerStep: leaked,
    };
  } finally {
    optimizer.dispose();
    inputIds.dispose();
    targets.dispose();
    model.dispose();
  }
}

/** New tokens per second with the KV cache, greedy, for each batch size. */
export function benchGenerate(options: { model: string; batches: readonly number[]; prompt: number; newTokens: number }): { batch: number; tokensPerSecond: number; seconds: number }[] {
  const model = benchModel(options.model);
  try {
    const rng = new Rng(2);
    return options.batches.map((b) => {
      const prompts = Array.from({ length: b }, () => Array.from({ length: options.prompt }, () => Math.floor(rng.next() * model.config.vocabSize)));
      generate(model, prompts, { maxNewTokens: 2, eosTokenIds: [] });
      const t0 = performance.now();
      const out = generate(model, prompts, { maxNewTokens: options.newTokens, eosTokenIds: [] });
      const seconds = (performance.now() - t0) / 1000;
      const tokens = out.tokens.reduce((n, t) => n + t.length, 0);
      return { batch: b, tokensPerSecond: tokens / seconds, seconds };
    });
  } finally {
    model.dispose();
  }
}

/** GFLOP/s of the products a transformer step runs: plain, transposed and batched. */
export function benchMatmul(size = 512, repeats = 10): { case: string; ms: number; gflops: number }[] {
  const cases: [string, number[], number[], boolean, boolean][] = [
    [`${size}³ A·B`, [size, size], [size, size], false, false],
    [`${size}³ A·Bᵀ`, [size, size], [size, size], false, true],
    [`${size}³ Aᵀ·B`, [size, size], [size, size], true, false],
    ['batched 32×(64×32)·(32×64) attention scores', [32, 64, 32], [32, 64, 32], false, true],
  ];
  return cases.map(([name, sa, sb, ta, tb]) => {
    const a = tf.randomNormal(sa);
    const b = tf.randomNormal(sb);
    const flops = 2 * (sa.length === 3 ? sa[0] : 1) * (ta ? sa[sa.length - 1] : sa[sa.length - 2]) * (ta ? sa[sa.length - 2] : sa[sa.length - 1]) * (tb ? sb[sb.length - 2] : sb[sb.length - 1]);
    // The wasm, cpu and tfjs-node backends compute synchronously: no read-back is needed (it
    // would add a copy of the result, about as long as the product on wasm).
    const run = () => tf.matMul(a, b, ta, tb).dispose();
    run();
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) run();
    const ms = (performance.now() - t0) / repeats;
    a.dispose();
    b.dispose();
    return { case: name, ms, gflops: flops / (ms * 1e6) };
  });
}
