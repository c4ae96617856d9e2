import * as tf from '@tensorflow/tfjs';
import { AyaError } from '../../errors';
import { fusedRmsNorm } from '../../kernels/rms-norm';
import { fusedSwiglu } from '../../kernels/swiglu';

/** y = x·Wᵀ + b for a weight in the PyTorch `nn.Linear` layout [out, in]; x is [..., in]. */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  let y = tf.matMul(tf.reshape(x, [-1, inDim]), weight as tf.Tensor2D, false, true);
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...lead, weight.shape[0]]);
}

/** y = x·W + b for GPT-2's `Conv1D` layout [in, out]. */
export function conv1d(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  let y = tf.matMul(tf.reshape(x, [-1, inDim]), weight as tf.Tensor2D);
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...lead, weight.shape[1]!]);
}

/** RMSNorm over the last axis: x / √(mean(x²) + ε) · w, or · (1 + w) for Gemma; fused where the backend has the kernels. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number, plusOne = false): tf.Tensor {
  const w = plusOne ? tf.add(weight, 1) : weight;
  return fusedRmsNorm(x, w, eps) ?? tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
}

/** The gated feed-forward's product act(gate)·up; silu's (SwiGLU) fused where the backend has the kernels. */
export function gatedProduct(hiddenAct: string, gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  const silu = hiddenAct === 'silu' || hiddenAct === 'swish';
  return (silu && fusedSwiglu(gate, up)) || tf.mul(activation(hiddenAct)(gate), up);
}

/** LayerNorm over the last axis (biased variance), with an optional bias. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | undefined, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  const y = tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), weight);
  return bias ? tf.add(y, bias) : y;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The activations Hugging Face configs name (`hidden_act`, `hidden_activation`, `activation_function`). */
export function activation(name: string): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'silu':
    case 'swish':
      return (x) => tf.mul(x, tf.sigmoid(x));
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return (x) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x))))))));
    case 'gelu':
      return (x) => tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'relu':
      return (x) => tf.relu(x);
    default:
      throw new AyaError(`activation '${name}' is not supported; supported: silu, gelu, gelu_new, gelu_pytorch_tanh, relu`);
  }
}

/** tanh(x / cap) · cap (Gemma 2's soft-capping). */
export function softcap(x: tf.Tensor, cap: number): tf.Tensor {
  return tf.mul(tf.tanh(tf.div(x, cap)), cap);
}
