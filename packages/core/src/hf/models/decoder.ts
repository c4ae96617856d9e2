import * as tf from '@tensorflow/tfjs';
import { attend, attentionBias, mergeHeads, splitHeads } from './attention';
import type { ModelConfig } from './config';
import { gatedProduct, layerNorm, rmsNorm } from './layers';
import type { Architecture, ForwardInputs, PretrainedModel } from './model';
import { applyRope, inverseFrequencies, ropeTables, type RopeLayout } from './rope';

/** What distinguishes the RoPE decoders from one another. */
export interface DecoderTraits {
  /** `rms` (Llama), `rms-plus-one` (Gemma: ·(1 + w)), `layer-norm` (Cohere: mean-centred, no bias). */
  readonly norm: 'rms' | 'rms-plus-one' | 'layer-norm';
  /** Cohere: h = x + Attn(LN(x)) + MLP(LN(x)) with one norm per layer. */
  readonly parallelBlock: boolean;
  /** Gemma 2: norms after attention and around the MLP as well. */
  readonly sandwichNorms: boolean;
  readonly ropeLayout: RopeLayout;
  /** Gemma: embeddings × √hidden_size. */
  readonly scaleEmbeddings: boolean;
}

export const LLAMA_TRAITS: DecoderTraits = { norm: 'rms', parallelBlock: false, sandwichNorms: false, ropeLayout: 'half', scaleEmbeddings: false };
export const GEMMA2_TRAITS: DecoderTraits = { norm: 'rms-plus-one', parallelBlock: false, sandwichNorms: true, ropeLayout: 'half', scaleEmbeddings: true };
export const COHERE_TRAITS: DecoderTraits = { norm: 'layer-norm', parallelBlock: true, sandwichNorms: false, ropeLayout: 'interleaved', scaleEmbeddings: false };

/**
 * The RoPE decoder of Llama, Mistral, Qwen2, Gemma 2 and Cohere, following transformers'
 * `modeling_*.py`, with the differences named by {@link DecoderTraits}.
 */
export function ropeDecoder(traits: DecoderTraits): Architecture {
  const invFreqCache = new WeakMap<ModelConfig, Float32Array>();

  const norm = (model: PretrainedModel, name: string, x: tf.Tensor): tf.Tensor => {
    const w = model.param(`${name}.weight`);
    const eps = model.config.normEps;
    if (traits.norm === 'layer-norm') return layerNorm(x, w, undefined, eps);
    return rmsNorm(x, w, eps, traits.norm === 'rms-plus-one');
  };

  return {
    embeddingName: 'model.embed_tokens.weight',

    bodyShapes(c) {
      const shapes = new Map<string, number[]>();
      const q = c.numHeads * c.headDim;
      const kv = c.numKvHeads * c.headDim;
      shapes.set('model.embed_tokens.weight', [c.vocabSize, c.hiddenSize]);
      for (let i = 0; i < c.numLayers; i++) {
        const p = `model.layers.${i}`;
        shapes.set(`${p}.input_layernorm.weight`, [c.hiddenSize]);
        if (!traits.parallelBlock) shapes.set(`${p}.post_attention_layernorm.weight`, [c.hiddenSize]);
        if (traits.sandwichNorms) {
          shapes.set(`${p}.pre_feedforward_layernorm.weight`, [c.hiddenSize]);
          shapes.set(`${p}.post_feedforward_layernorm.weight`, [c.hiddenSize]);
        }
        for (const [proj, out] of [['q_proj', q], ['k_proj', kv], ['v_proj', kv]] as const) {
          shapes.set(`${p}.self_attn.${proj}.weight`, [out, c.hiddenSize]);
          if (c.qkvBias) shapes.set(`${p}.self_attn.${proj}.bias`, [out]);
        }
        shapes.set(`${p}.self_attn.o_proj.weight`, [c.hiddenSize, q]);
        if (c.outputBias) shapes.set(`${p}.self_attn.o_proj.bias`, [c.hiddenSize]);
        if (c.useQkNorm) {
          shapes.set(`${p}.self_attn.q_norm.weight`, [c.numHeads, c.headDim]);
          shapes.set(`${p}.self_attn.k_norm.weight`, [c.numKvHeads, c.headDim]);
        }
        for (const [proj, shape] of [
          ['gate_proj', [c.intermediateSize, c.hiddenSize]],
          ['up_proj', [c.intermediateSize, c.hiddenSize]],
          ['down_proj', [c.hiddenSize, c.intermediateSize]],
        ] as const) {
          shapes.set(`${p}.mlp.${proj}.weight`, [...shape]);
          if (c.mlpBias) shapes.set(`${p}.mlp.${proj}.bias`, [shape[0]]);
        }
      }
      shapes.set('model.norm.weight', [c.hiddenSize]);
      return shapes;
    },

    isBuffer: (name) => name.endsWith('.rotary_emb.inv_freq'),

    hidden(model, inputs: ForwardInputs) {
      const c = model.config;
      const [b, s] = inputs.inputIds.shape;
      const past = inputs.cache?.length ?? 0;
      let h: tf.Tensor = tf.gather(model.param('model.embed_tokens.weight'), tf.reshape(inputs.inputIds, [-1]));
      h = tf.reshape(h, [b, s, c.hiddenSize]);
      if (traits.scaleEmbeddings) h = tf.mul(h, Math.fround(Math.sqrt(c.hiddenSize)));

      let invFreq = invFreqCache.get(c);
      if (!invFreq) invFreqCache.set(c, (invFreq = inverseFrequencies(c.rope!, c.headDim)));
      const positions = inputs.positionIds ?? tf.reshape(tf.range(past, past + s, 1, 'int32'), [1, s]);
      const { cos, sin } = ropeTables(tf.tensor1d(invFreq), positions as tf.Tensor2D, traits.ropeLayout);
      const fullBias = attentionBias(b, s, past, inputs.attentionMask, null);
      const slidingBias = c.layerTypes.includes('sliding_attention') ? attentionBias(b, s, past, inputs.attentionMask, c.slidingWindow) : fullBias;

      for (let i = 0; i < c.numLayers; i++) {
        const p = `model.layers.${i}`;
        const x = norm(model, `${p}.input_layernorm`, h);
        let q = model.linear(`${p}.self_attn.q_proj`, x);
        let k = model.linear(`${p}.self_attn.k_proj`, x);
        const v = model.linear(`${p}.self_attn.v_proj`, x);
        if (c.useQkNorm) {
          q = layerNorm(tf.reshape(q, [b, s, c.numHeads, c.headDim]), model.param(`${p}.self_attn.q_norm.weight`), undefined, c.normEps);
          k = layerNorm(tf.reshape(k, [b, s, c.numKvHeads, c.headDim]), model.param(`${p}.self_attn.k_norm.weight`), undefined, c.normEps);
        }
        const qh = applyRope(splitHeads(q, c.numHeads, c.headDim), cos, sin, traits.ropeLayout);
        let kh = applyRope(splitHeads(k, c.numKvHeads, c.headDim), cos, sin, traits.ropeLayout);
        let vh = splitHeads(v, c.numKvHeads, c.headDim);
        if (inputs.cache) ({ k: kh, v: vh } = inputs.cache.append(i, kh, vh));
        const bias = c.layerTypes[i] === 'sliding_attention' && c.slidingWindow !== null ? slidingBias : fullBias;
        let attn: tf.Tensor = model.linear(`${p}.self_attn.o_proj`, mergeHeads(attend(qh, kh, vh, bias, c.attentionScale, c.attnLogitSoftcap)));

        const mlp = (y: tf.Tensor) =>
          model.linear(`${p}.mlp.down_proj`, gatedProduct(c.hiddenAct, model.linear(`${p}.mlp.gate_proj`, y), model.linear(`${p}.mlp.up_proj`, y)));

        if (traits.parallelBlock) {
          h = tf.add(tf.add(h, attn), mlp(x));
          continue;
        }
        if (traits.sandwichNorms) attn = norm(model, `${p}.post_attention_layernorm`, attn);
        h = tf.add(h, attn);
        if (traits.sandwichNorms) {
          const m = mlp(norm(model, `${p}.pre_feedforward_layernorm`, h));
          h = tf.add(h, norm(model, `${p}.post_feedforward_layernorm`, m));
        } else {
          h = tf.add(h, mlp(norm(model, `${p}.post_attention_layernorm`, h)));
        }
      }
      return norm(model, 'model.norm', h) as tf.Tensor3D;
    },
  };
}
