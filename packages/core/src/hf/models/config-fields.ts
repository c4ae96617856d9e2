import { ConfigError } from '../../errors';
import type { LayerType, ModelConfig, RopeConfig } from './config';

export type Raw = Record<string, unknown>;

/** Typed reads of `config.json` fields; a wrong value is an error naming the file and the field. */
export class Fields {
  constructor(readonly raw: Raw, readonly file: string) {}
  fail(key: string, expected: string): never {
    throw new ConfigError(`${this.file}: ${key}: expected ${expected}, got ${JSON.stringify(this.raw[key])}`);
  }
  int(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) <= 0) this.fail(key, 'a positive integer');
    return v as number;
  }
  num(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number');
    return v;
  }
  optNum(key: string, fallback: number | null = null): number | null {
    const v = this.raw[key];
    if (v === undefined) return fallback;
    if (v === null) return null;
    return this.num(key);
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }
  str(key: string, fallback: string): string {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }
  tokenId(key: string): number | null {
    const v = this.raw[key];
    if (v === undefined || v === null) return null;
    if (Array.isArray(v)) return Number.isInteger(v[0]) ? (v[0] as number) : this.fail(key, 'a token id');
    if (!Number.isInteger(v)) this.fail(key, 'a token id');
    return v as number;
  }
  tokenIds(key: string): number[] {
    const v = this.raw[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => Number.isInteger(x))) this.fail(key, 'a token id or a list of them');
    return list as number[];
  }
}

/** `rope_parameters` (or `rope_theta` + `rope_scaling`). */
export function parseRope(f: Fields, defaultTheta: number): RopeConfig {
  const params = (f.raw.rope_parameters ?? null) as Raw | null;
  const scaling = (f.raw.rope_scaling ?? null) as Raw | null;
  const source: Raw = { ...(scaling ?? {}), ...(params ?? {}) };
  const theta = (params?.rope_theta ?? f.raw.rope_theta ?? defaultTheta) as number;
  if (typeof theta !== 'number' || !(theta > 0)) f.fail('rope_theta', 'a positive number');
  const type = String(source.rope_type ?? source.type ?? 'default');
  if (type !== 'default' && type !== 'linear' && type !== 'llama3') {
    throw new ConfigError(`${f.file}: rope_parameters.rope_type: '${type}' is not supported; supported: default, linear, llama3`);
  }
  const num = (key: string, fallback: number) => {
    const v = source[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(`${f.file}: rope_parameters.${key}: expected a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    theta,
    type,
    factor: type === 'default' ? 1 : num('factor', NaN),
    lowFreqFactor: type === 'llama3' ? num('low_freq_factor', NaN) : 1,
    highFreqFactor: type === 'llama3' ? num('high_freq_factor', NaN) : 1,
    originalMaxPositions: type === 'llama3' ? num('original_max_position_embeddings', NaN) : 0,
  };
}

/** `layer_types`, or the architecture's default pattern. */
export function layerTypes(f: Fields, count: number, fallback: (i: number) => LayerType): LayerType[] {
  const v = f.raw.layer_types;
  if (v === undefined || v === null) return Array.from({ length: count }, (_, i) => fallback(i));
  if (!Array.isArray(v) || v.length !== count || !v.every((t) => t === 'full_attention' || t === 'sliding_attention')) {
    f.fail('layer_types', `${count} entries of 'full_attention' or 'sliding_attention'`);
  }
  return v as LayerType[];
}

/** The fields every RoPE decoder shares (sizes, heads, positions, norm epsilon). */
export function decoderCommon(f: Fields, normKey: string, normDefault: number) {
  const hiddenSize = f.int('hidden_size');
  const numHeads = f.int('num_attention_heads');
  const numLayers = f.int('num_hidden_layers');
  const numKvHeads = f.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) f.fail('num_key_value_heads', `a divisor of num_attention_heads (${numHeads})`);
  const headDim = f.raw.head_dim == null ? hiddenSize / numHeads : f.int('head_dim');
  if (!Number.isInteger(headDim)) f.fail('num_attention_heads', 'a divisor of hidden_size');
  return {
    vocabSize: f.int('vocab_size'),
    hiddenSize,
    intermediateSize: f.int('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    maxPositions: f.int('max_position_embeddings', 2048),
    normEps: f.num(normKey, normDefault),
    attentionScale: 1 / Math.sqrt(headDim),
  };
}

export const full = (): LayerType => 'full_attention';


/** What a model type's module parses from `config.json`: everything but the fields every type shares. */
export type TypeSpecificConfig = Omit<ModelConfig, 'modelType' | 'architectures' | 'numLabels' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId' | 'raw'>;
