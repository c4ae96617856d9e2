import * as tf from '@tensorflow/tfjs';
import { attend, attentionBias, mergeHeads, splitHeads } from './attention';
import { activation, layerNorm } from './layers';
import type { Architecture, PretrainedModel } from './model';

const P = 'transformer';

function ln(model: PretrainedModel, name: string, x: tf.Tensor): tf.Tensor {
  return layerNorm(x, model.param(`${name}.weight`), model.param(`${name}.bias`), model.config.normEps);
}

/** GPT-2: learned positions, LayerNorm with bias, `Conv1D` weights [in, out], fused q/k/v. */
export const gpt2: Architecture = {
  embeddingName: `${P}.wte.weight`,

  bodyShapes(c) {
    const d = c.hiddenSize;
    const shapes = new Map<string, number[]>([
      [`${P}.wte.weight`, [c.vocabSize, d]],
      [`${P}.wpe.weight`, [c.maxPositions, d]],
    ]);
    for (let i = 0; i < c.numLayers; i++) {
      const p = `${P}.h.${i}`;
      shapes.set(`${p}.ln_1.weight`, [d]);
      shapes.set(`${p}.ln_1.bias`, [d]);
      shapes.set(`${p}.attn.c_attn.weight`, [d, 3 * d]);
      shapes.set(`${p}.attn.c_attn.bias`, [3 * d]);
      shapes.set(`${p}.attn.c_proj.weight`, [d, d]);
      shapes.set(`${p}.attn.c_proj.bias`, [d]);
      shapes.set(`${p}.ln_2.weight`, [d]);
      shapes.set(`${p}.ln_2.bias`, [d]);
      shapes.set(`${p}.mlp.c_fc.weight`, [d, c.intermediateSize]);
      shapes.set(`${p}.mlp.c_fc.bias`, [c.intermediateSize]);
      shapes.set(`${p}.mlp.c_proj.weight`, [c.intermediateSize, d]);
      shapes.set(`${p}.mlp.c_proj.bias`, [d]);
    }
    shapes.set(`${P}.ln_f.weight`, [d]);
    shapes.set(`${P}.ln_f.bias`, [d]);
    return shapes;
  },

  // Checkpoints saved before transformers 5 have no `transformer.` prefix.
  aliases: (name) => (name.startsWith(`${P}.`) ? [name.slice(P.length + 1)] : []),
  isBuffer: (name) => /(^|\.)h\.\d+\.attn\.(masked_)?bias$/.test(name),
  isConv1d: (module) => /\.(c_attn|c_proj|c_fc)$/.test(module),

  hidden(model, inputs) {
    const c = model.config;
    const [b, s] = inputs.inputIds.shape;
    const past = inputs.cache?.length ?? 0;
    const positions = inputs.positionIds ?? tf.tile(tf.reshape(tf.range(past, past + s, 1, 'int32'), [1, s]), [b, 1]);
    const tokens = tf.gather(model.param(`${P}.wte.weight`), tf.reshape(inputs.inputIds, [-1]));
    const pos = tf.gather(model.param(`${P}.wpe.weight`), tf.reshape(positions, [-1]));
    let h: tf.Tensor = tf.reshape(tf.add(tokens, pos), [b, s, c.hiddenSize]);
    const bias = attentionBias(b, s, past, inputs.attentionMask, null);
    const act = activation(c.hiddenAct);
    for (let i = 0; i < c.numLayers; i++) {
      const p = `${P}.h.${i}`;
      const qkv = model.linear(`${p}.attn.c_attn`, ln(model, `${p}.ln_1`, h));
      const [q, k, v] = tf.split(qkv, 3, -1);
      let kh = splitHeads(k, c.numHeads, c.headDim);
      let vh = splitHeads(v, c.numHeads, c.headDim);
      if (inputs.cache) ({ k: kh, v: vh } = inputs.cache.append(i, kh, vh));
      const attn = mergeHeads(attend(splitHeads(q, c.numHeads, c.headDim), kh, vh, bias, c.attentionScale, null));
      h = tf.add(h, model.linear(`${p}.attn.c_proj`, attn));
      const m = model.linear(`${p}.mlp.c_proj`, act(model.linear(`${p}.mlp.c_fc`, ln(model, `${p}.ln_2`, h))));
      h = tf.add(h, m);
    }
    return ln(model, `${P}.ln_f`, h) as tf.Tensor3D;
  },
};
