import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AyaError, ConfigError, errorMessage } from '../../errors';

/** The architectures aya-fw runs, by `model_type`. */
export const SUPPORTED_MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'gemma2', 'cohere', 'gpt2'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/** Rotary position embedding parameters (from `rope_parameters`, or `rope_theta` + `rope_scaling`). */
export interface RopeConfig {
  readonly theta: number;
  /** `default`, `linear` (positions / factor) or `llama3` (Llama 3.1 frequency-band scaling). */
  readonly type: 'default' | 'linear' | 'llama3';
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalMaxPositions: number;
}

export type LayerType = 'full_attention' | 'sliding_attention';

/** A `config.json`, normalised across architectures. `raw` is kept and written back on save. */
export interface ModelConfig {
  readonly modelType: ModelType;
  readonly architectures: readonly string[];
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Activation of the MLP: `silu`, `gelu_pytorch_tanh`, `gelu_new`, `gelu`… */
  readonly hiddenAct: string;
  readonly maxPositions: number;
  readonly normEps: number;
  /** Null for learned absolute positions (GPT-2). */
  readonly rope: RopeConfig | null;
  readonly tieWordEmbeddings: boolean;
  /** Bias on q/k/v projections (Qwen2 always; Llama/Mistral/Gemma2/Cohere with `attention_bias`). */
  readonly qkvBias: boolean;
  /** Bias on the attention output projection. */
  readonly outputBias: boolean;
  readonly mlpBias: boolean;
  /** Logits are multiplied by this (Cohere's `logit_scale`; 1 elsewhere). */
  readonly logitScale: number;
  /** Cohere's per-head LayerNorm of queries and keys. */
  readonly useQkNorm: boolean;
  readonly layerTypes: readonly LayerType[];
  readonly slidingWindow: number | null;
  readonly attnLogitSoftcap: number | null;
  readonly finalLogitSoftcap: number | null;
  /** Attention scores are multiplied by this (head_dim^−½ unless the architecture says otherwise). */
  readonly attentionScale: number;
  /** Number of labels of a sequence-classification head. */
  readonly numLabels: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

type Raw = Record<string, unknown>;

class Fields {
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

function parseRope(f: Fields, defaultTheta: number): RopeConfig {
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

function layerTypes(f: Fields, count: number, fallback: (i: number) => LayerType): LayerType[] {
  const v = f.raw.layer_types;
  if (v === undefined || v === null) return Array.from({ length: count }, (_, i) => fallback(i));
  if (!Array.isArray(v) || v.length !== count || !v.every((t) => t === 'full_attention' || t === 'sliding_attention')) {
    f.fail('layer_types', `${count} entries of 'full_attention' or 'sliding_attention'`);
  }
  return v as LayerType[];
}

function decoderCommon(f: Fields, normKey: string, normDefault: number) {
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

const full = (): LayerType => 'full_attention';

function parseByType(modelType: ModelType, f: Fields): Omit<ModelConfig, 'modelType' | 'architectures' | 'numLabels' | 'bosTokenId' | 'eosTokenIds' | 'padTokenId' | 'raw'> {
  switch (modelType) {
    case 'llama':
    case 'mistral': {
      const c = decoderCommon(f, 'rms_norm_eps', 1e-6);
      const bias = f.bool('attention_bias', false);
      const window = modelType === 'mistral' ? f.optNum('sliding_window', 4096) : null;
      return {
        ...c,
        hiddenAct: f.str('hidden_act', 'silu'),
        rope: parseRope(f, 10000),
        tieWordEmbeddings: f.bool('tie_word_embeddings', false),
        qkvBias: bias,
        outputBias: bias,
        mlpBias: f.bool('mlp_bias', false),
        logitScale: 1,
        useQkNorm: false,
        slidingWindow: window,
        layerTypes: layerTypes(f, c.numLayers, () => (window ? 'sliding_attention' : 'full_attention')),
        attnLogitSoftcap: null,
        finalLogitSoftcap: null,
      };
    }
    case 'qwen2': {
      const c = decoderCommon(f, 'rms_norm_eps', 1e-6);
      const window = f.bool('use_sliding_window', false) ? f.optNum('sliding_window', 4096) : null;
      const maxWindowLayers = f.int('max_window_layers', 28);
      return {
        ...c,
        hiddenAct: f.str('hidden_act', 'silu'),
        rope: parseRope(f, 10000),
        tieWordEmbeddings: f.bool('tie_word_embeddings', false),
        qkvBias: true,
        outputBias: false,
        mlpBias: false,
        logitScale: 1,
        useQkNorm: false,
        slidingWindow: window,
        layerTypes: layerTypes(f, c.numLayers, (i) => (window !== null && i >= maxWindowLayers ? 'sliding_attention' : 'full_attention')),
        attnLogitSoftcap: null,
        finalLogitSoftcap: null,
      };
    }
    case 'gemma2': {
      const c = decoderCommon(f, 'rms_norm_eps', 1e-6);
      const headDim = f.raw.head_dim == null ? 256 : f.int('head_dim');
      const bias = f.bool('attention_bias', false);
      return {
        ...c,
        headDim,
        hiddenAct: f.str('hidden_activation', f.str('hidden_act', 'gelu_pytorch_tanh')),
        rope: parseRope(f, 10000),
        tieWordEmbeddings: f.bool('tie_word_embeddings', true),
        qkvBias: bias,
        outputBias: bias,
        mlpBias: false,
        logitScale: 1,
        useQkNorm: false,
        slidingWindow: f.optNum('sliding_window', 4096),
        // Gemma 2 alternates, sliding first (older configs carry no layer_types).
        layerTypes: layerTypes(f, c.numLayers, (i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')),
        attnLogitSoftcap: f.optNum('attn_logit_softcapping', 50),
        finalLogitSoftcap: f.optNum('final_logit_softcapping', 30),
        attentionScale: 1 / Math.sqrt(f.num('query_pre_attn_scalar', 256)),
      };
    }
    case 'cohere': {
      const c = decoderCommon(f, 'layer_norm_eps', 1e-5);
      const bias = f.bool('attention_bias', false);
      return {
        ...c,
        hiddenAct: f.str('hidden_act', 'silu'),
        rope: parseRope(f, 10000),
        tieWordEmbeddings: f.bool('tie_word_embeddings', true),
        qkvBias: bias,
        outputBias: bias,
        mlpBias: false,
        logitScale: f.num('logit_scale', 0.0625),
        useQkNorm: f.bool('use_qk_norm', false),
        slidingWindow: null,
        layerTypes: layerTypes(f, c.numLayers, full),
        attnLogitSoftcap: null,
        finalLogitSoftcap: null,
      };
    }
    case 'gpt2': {
      const hiddenSize = f.int('n_embd', 768);
      const numHeads = f.int('n_head', 12);
      const numLayers = f.int('n_layer', 12);
      const headDim = hiddenSize / numHeads;
      if (!Number.isInteger(headDim)) f.fail('n_head', 'a divisor of n_embd');
      if (f.bool('scale_attn_by_inverse_layer_idx', false)) f.fail('scale_attn_by_inverse_layer_idx', 'false (not supported)');
      if (f.raw.add_cross_attention === true) f.fail('add_cross_attention', 'false (not supported)');
      return {
        vocabSize: f.int('vocab_size', 50257),
        hiddenSize,
        intermediateSize: f.raw.n_inner == null ? 4 * hiddenSize : f.int('n_inner'),
        numLayers,
        numHeads,
        numKvHeads: numHeads,
        headDim,
        hiddenAct: f.str('activation_function', 'gelu_new'),
        maxPositions: f.int('n_positions', 1024),
        normEps: f.num('layer_norm_epsilon', 1e-5),
        rope: null,
        tieWordEmbeddings: f.bool('tie_word_embeddings', true),
        qkvBias: true,
        outputBias: true,
        mlpBias: true,
        logitScale: 1,
        useQkNorm: false,
        slidingWindow: null,
        layerTypes: Array.from({ length: numLayers }, full),
        attnLogitSoftcap: null,
        finalLogitSoftcap: null,
        attentionScale: f.bool('scale_attn_weights', true) ? 1 / Math.sqrt(headDim) : 1,
      };
    }
  }
}

/** Normalises a parsed `config.json`; `file` names it in errors. */
export function parseModelConfig(raw: unknown, file = 'config.json'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: expected a JSON object`);
  const r = raw as Raw;
  const modelType = r.model_type;
  if (!SUPPORTED_MODEL_TYPES.includes(modelType as ModelType)) {
    throw new ConfigError(`${file}: model_type: '${String(modelType)}' is not supported; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const f = new Fields(r, file);
  const specific = parseByType(modelType as ModelType, f);
  const id2label = r.id2label as Record<string, string> | undefined;
  const numLabels = typeof r.num_labels === 'number' ? r.num_labels : id2label ? Object.keys(id2label).length : 2;
  return {
    modelType: modelType as ModelType,
    architectures: Array.isArray(r.architectures) ? (r.architectures as string[]) : [],
    ...specific,
    numLabels,
    bosTokenId: f.tokenId('bos_token_id'),
    eosTokenIds: f.tokenIds('eos_token_id'),
    padTokenId: f.tokenId('pad_token_id'),
    raw: r,
  };
}

/** Reads and normalises `<dir>/config.json` (or a config file path). */
export function readModelConfig(dirOrFile: string): ModelConfig {
  const file = dirOrFile.endsWith('.json') ? dirOrFile : join(dirOrFile, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AyaError(`${file}: cannot read the model config: ${errorMessage(err)}`);
  }
  return parseModelConfig(raw, file);
}
