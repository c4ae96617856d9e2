import { UsageError } from '@aya-fw/core';

/** How a genome maps to merge parameters. */
export interface GenomeSpec {
  /** Checkpoints in the pool. */
  readonly models: number;
  /** `abs`: α = |g| / Σ|g| (mergekit-evolve's `normalize`); `softmax`: α = softmax(g). */
  readonly normalize: 'abs' | 'softmax';
  /** Weight groups along the layer stack: 1 = one weight per model for the whole network. */
  readonly groups: number;
  /** Also search a TIES/DARE density per model and group, clamp(|g|, 0, 1) (mergekit-evolve). */
  readonly density: boolean;
}

/** A decoded genome: simplex weights (and densities) per group, group 0 first. */
export interface DecodedGenome {
  readonly weights: number[][];
  readonly density?: number[][];
}

/** Genome length: models × groups weights, and as many densities when searched. */
export function genomeSize(spec: GenomeSpec): number {
  return spec.models * spec.groups * (spec.density ? 2 : 1);
}

/** mergekit-evolve's start: every weight 1/n (0 under softmax, the same point), densities 1. */
export function initialGenome(spec: GenomeSpec): number[] {
  const w = Array(spec.models * spec.groups).fill(spec.normalize === 'abs' ? 1 / spec.models : 0);
  return spec.density ? [...w, ...Array(spec.models * spec.groups).fill(1)] : w;
}

/** The merge weights and densities a genome stands for. */
export function decodeGenome(spec: GenomeSpec, g: readonly number[]): DecodedGenome {
  if (g.length !== genomeSize(spec)) throw new UsageError(`genome of ${g.length} values; this search has ${genomeSize(spec)}`);
  const n = spec.models;
  const weights = Array.from({ length: spec.groups }, (_, k) => simplex(g.slice(k * n, (k + 1) * n), spec.normalize));
  if (!spec.density) return { weights };
  const off = n * spec.groups;
  return { weights, density: Array.from({ length: spec.groups }, (_, k) => g.slice(off + k * n, off + (k + 1) * n).map((v) => Math.min(1, Math.abs(v)))) };
}

/** A point of the simplex: |x|/Σ|x| (uniform when every |x| is 0) or softmax(x). */
export function simplex(x: readonly number[], normalize: 'abs' | 'softmax'): number[] {
  if (normalize === 'softmax') {
    const m = Math.max(...x);
    const e = x.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }
  const a = x.map(Math.abs);
  const s = a.reduce((p, q) => p + q, 0);
  return s > 0 ? a.map((v) => v / s) : a.map(() => 1 / a.length);
}

/** The weight group of a tensor: its layer's share of the stack; embeddings group 0, final norm and head the last. */
export function tensorGroup(name: string, numLayers: number, groups: number): number {
  if (groups === 1) return 0;
  const m = /(?:^|\.)(?:layers|h|blocks)\.(\d+)\./.exec(name);
  if (m) return Math.min(groups - 1, Math.floor((Number(m[1]) * groups) / numLayers));
  return /embed|wte|wpe/.test(name) ? 0 : groups - 1;
}
