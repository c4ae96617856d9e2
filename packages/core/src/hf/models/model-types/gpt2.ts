import { full } from '../config-fields';
import { gpt2 as gpt2Architecture } from '../gpt2';
import type { ModelTypeDefinition } from './model-type';

/** GPT-2: learned positions, LayerNorm, GELU, `Conv1D` layers. */
export const gpt2: ModelTypeDefinition = {
  className: 'GPT2',
  causalLmClass: 'GPT2LMHeadModel',
  architecture: gpt2Architecture,
  parse(f) {
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
  },
};
