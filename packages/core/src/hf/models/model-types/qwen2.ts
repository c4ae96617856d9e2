import { decoderCommon, layerTypes, parseRope } from '../config-fields';
import { llamaArchitecture } from './llama';
import type { ModelTypeDefinition } from './model-type';

/** Qwen2: the Llama decoder with q/k/v biases and sliding windows on layers from `max_window_layers`. */
export const qwen2: ModelTypeDefinition = {
  className: 'Qwen2',
  architecture: llamaArchitecture,
  parse(f) {
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
  },
};
