import { decoderCommon, layerTypes, parseRope, type Fields, type TypeSpecificConfig } from '../config-fields';
import { LLAMA_TRAITS, ropeDecoder } from '../decoder';
import type { ModelTypeDefinition } from './model-type';

/** Llama and Mistral (Mistral: a sliding window, 4096 unless `sliding_window` says otherwise). */
export function parseLlamaLike(f: Fields, modelType: 'llama' | 'mistral'): TypeSpecificConfig {
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

/** The decoder Llama, Mistral and Qwen2 share (RMSNorm, SwiGLU, RoPE, grouped-query attention). */
export const llamaArchitecture = ropeDecoder(LLAMA_TRAITS);

export const llama: ModelTypeDefinition = { className: 'Llama', parse: (f) => parseLlamaLike(f, 'llama'), architecture: llamaArchitecture };
