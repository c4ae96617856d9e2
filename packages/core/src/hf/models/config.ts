import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AyaError, ConfigError, errorMessage } from '../../errors';
import { Fields, type Raw } from './config-fields';
import { MODEL_TYPES } from './model-types';

/** A `model_type` aya-fw runs (one module each in `model-types/`). */
export type ModelType = keyof typeof MODEL_TYPES;

/** The architectures aya-fw runs, by `model_type`. */
export const SUPPORTED_MODEL_TYPES = Object.keys(MODEL_TYPES) as ModelType[];

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

/** Normalises a parsed `config.json`; `file` names it in errors. */
export function parseModelConfig(raw: unknown, file = 'config.json'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: expected a JSON object`);
  const r = raw as Raw;
  const modelType = r.model_type;
  if (!SUPPORTED_MODEL_TYPES.includes(modelType as ModelType)) {
    throw new ConfigError(`${file}: model_type: '${String(modelType)}' is not supported; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`);
  }
  const f = new Fields(r, file);
  const specific = MODEL_TYPES[modelType as ModelType].parse(f);
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
