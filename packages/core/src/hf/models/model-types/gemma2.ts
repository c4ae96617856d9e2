import { decoderCommon, layerTypes, parseRope } from '../config-fields';
import { GEMMA2_TRAITS, ropeDecoder } from '../decoder';
import type { ModelTypeDefinition } from './model-type';

/** Gemma 2: alternating sliding and global layers, logit soft-capping, (1 + w) RMSNorm. */
export const gemma2: ModelTypeDefinition = {
  className: 'Gemma2',
  architecture: ropeDecoder(GEMMA2_TRAITS),
  parse(f) {
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
  },
};
