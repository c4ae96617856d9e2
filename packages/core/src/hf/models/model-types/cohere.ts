import { decoderCommon, full, layerTypes, parseRope } from '../config-fields';
import { COHERE_TRAITS, ropeDecoder } from '../decoder';
import type { ModelTypeDefinition } from './model-type';

/** Cohere (Aya Expanse, Command R): parallel attention and MLP, LayerNorm, logit scale, optional q/k norm. */
export const cohere: ModelTypeDefinition = {
  className: 'Cohere',
  architecture: ropeDecoder(COHERE_TRAITS),
  parse(f) {
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
  },
};
