import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM_KERNEL } from '../kernels/adam';
import { ATTENTION_SOFTMAX_GRAD_KERNEL, ATTENTION_SOFTMAX_KERNEL } from '../kernels/attention-softmax';
import type { NativeKernels } from '../kernels/native';
import { PICK_LOG_SOFTMAX_GRAD_KERNEL, PICK_LOG_SOFTMAX_KERNEL } from '../kernels/pick-log-softmax';
import { RMS_NORM_GRAD_KERNEL, RMS_NORM_KERNEL } from '../kernels/rms-norm';
import { SWIGLU_GRAD_KERNEL, SWIGLU_KERNEL } from '../kernels/swiglu';
import { batchOf, type KernelFunc, type WasmBackend } from './wasm-heap';

/**
 * op(a) · op(b) in the native kernel, straight on the wasm heap (transposes are absorbed by its
 * packing); undefined for what it does not take (other dtypes, batch dimensions that broadcast
 * both ways).
 */
export function nativeProduct(native: NativeKernels, backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const batch = batchOf(a, b);
  if (!batch) return undefined;
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k] = transA ? [ca, ra] : [ra, ca];
  const n = transB ? rb : cb;
  const inner = transB ? cb : rb;
  if (inner !== k) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${inner}) of Tensors with shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} and transposeA=${transA} and transposeB=${transB} must match.`);
  }
  const out = backend.makeOutput([...batch.lead, m, n], 'float32');
  const heap = (x: tf.TensorInfo) => backend.typedArrayFromHeap(x) as Float32Array;
  native.matmul(heap(a), heap(b), heap(out), Math.max(batch.batchA, batch.batchB), m, k, n, batch.batchA === 1 ? 0 : m * k, batch.batchB === 1 ? 0 : k * n, transA, transB);
  return out;
}

/**
 * The fused kernels that exist only with the native addon, on the wasm heap in place:
 * {@link FUSED_ADAM_KERNEL}, and {@link PICK_LOG_SOFTMAX_KERNEL}, {@link RMS_NORM_KERNEL},
 * {@link SWIGLU_KERNEL} and {@link ATTENTION_SOFTMAX_KERNEL} with their gradients.
 */
export function registerFusedNativeKernels(native: NativeKernels): void {
  if (!tf.getKernel(FUSED_ADAM_KERNEL, 'wasm')) {
    tf.registerKernel({
      kernelName: FUSED_ADAM_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { param, gradient, m, v } = inputs;
        const h = attrs as Record<'stepSize' | 'beta1' | 'beta2' | 'epsilon' | 'biasCorrection2' | 'weightDecay' | 'decayFactor', number>;
        // Outputs first: allocating may grow the heap, which detaches earlier views.
        const outs = [param, m, v].map((x) => wasm.makeOutput(x.shape, 'float32'));
        const heap = (x: tf.TensorInfo) => wasm.typedArrayFromHeap(x) as Float32Array;
        native.adam(heap(param), heap(gradient), heap(m), heap(v), heap(outs[0]), heap(outs[1]), heap(outs[2]), h.stepSize, h.beta1, h.beta2, h.epsilon, h.biasCorrection2, h.weightDecay, h.decayFactor);
        return outs;
      }) as unknown as tf.KernelFunc,
    });
  }
  if (native && !tf.getKernel(PICK_LOG_SOFTMAX_KERNEL, 'wasm')) {
    tf.registerKernel({
      kernelName: PICK_LOG_SOFTMAX_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { x, targets } = inputs;
        const [rows, vocab] = x.shape;
        const outs = [wasm.makeOutput([rows], 'float32'), wasm.makeOutput([rows], 'float32')];
        try {
          native.pickLogSoftmax(wasm.typedArrayFromHeap(x) as Float32Array, wasm.typedArrayFromHeap(targets) as Int32Array, wasm.typedArrayFromHeap(outs[0]) as Float32Array, wasm.typedArrayFromHeap(outs[1]) as Float32Array, rows, vocab);
        } catch (err) {
          for (const o of outs) wasm.disposeData(o.dataId);
          throw err;
        }
        return outs;
      }) as unknown as tf.KernelFunc,
    });
    tf.registerKernel({
      kernelName: PICK_LOG_SOFTMAX_GRAD_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { x, targets, lse, dy } = inputs;
        const [rows, vocab] = x.shape;
        const dx = wasm.makeOutput([rows, vocab], 'float32');
        const heap = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
        native.pickLogSoftmaxGrad(heap(x), wasm.typedArrayFromHeap(targets) as Int32Array, heap(lse), heap(dy), heap(dx), rows, vocab);
        return dx;
      }) as unknown as tf.KernelFunc,
    });
  }
  if (!tf.getKernel(RMS_NORM_KERNEL, 'wasm')) {
    tf.registerKernel({
      kernelName: RMS_NORM_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { x, weight } = inputs;
        const d = x.shape[x.shape.length - 1];
        const rows = d ? x.shape.reduce((p, n) => p * n, 1) / d : 0;
        if (weight.shape.length !== 1 || weight.shape[0] !== d) throw new Error(`RMSNorm: weight of shape ${JSON.stringify(weight.shape)} does not match the last axis of ${JSON.stringify(x.shape)}`);
        const outs = [wasm.makeOutput(x.shape, 'float32'), wasm.makeOutput([rows], 'float32')];
        const heap = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
        native.rmsNorm(heap(x), heap(weight), heap(outs[0]), heap(outs[1]), rows, d, (attrs as { eps: number }).eps);
        return outs;
      }) as unknown as tf.KernelFunc,
    });
    tf.registerKernel({
      kernelName: RMS_NORM_GRAD_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { x, weight, rstd, dy } = inputs;
        const d = x.shape[x.shape.length - 1];
        const rows = d ? x.shape.reduce((p, n) => p * n, 1) / d : 0;
        const outs = [wasm.makeOutput(x.shape, 'float32'), wasm.makeOutput([d], 'float32')];
        const heap = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
        native.rmsNormGrad(heap(x), heap(weight), heap(rstd), heap(dy), heap(outs[0]), heap(outs[1]), rows, d);
        return outs;
      }) as unknown as tf.KernelFunc,
    });
  }
  if (!tf.getKernel(SWIGLU_KERNEL, 'wasm')) {
    const heap = (wasm: WasmBackend, t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    tf.registerKernel({
      kernelName: SWIGLU_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const y = wasm.makeOutput(inputs.gate.shape, 'float32');
        native.swiglu(heap(wasm, inputs.gate), heap(wasm, inputs.up), heap(wasm, y));
        return y;
      }) as unknown as tf.KernelFunc,
    });
    tf.registerKernel({
      kernelName: SWIGLU_GRAD_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const outs = [wasm.makeOutput(inputs.gate.shape, 'float32'), wasm.makeOutput(inputs.up.shape, 'float32')];
        native.swigluGrad(heap(wasm, inputs.gate), heap(wasm, inputs.up), heap(wasm, inputs.dy), heap(wasm, outs[0]), heap(wasm, outs[1]));
        return outs;
      }) as unknown as tf.KernelFunc,
    });
  }
  if (!tf.getKernel(ATTENTION_SOFTMAX_KERNEL, 'wasm')) {
    const heap = (wasm: WasmBackend, t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
    tf.registerKernel({
      kernelName: ATTENTION_SOFTMAX_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { scores, bias } = inputs;
        const [b, h, s, t] = scores.shape;
        const y = wasm.makeOutput(scores.shape, 'float32');
        native.scaledBiasedSoftmax(heap(wasm, scores), heap(wasm, bias), heap(wasm, y), b, h, s, t, bias.shape[0], (attrs as { scale: number }).scale);
        return y;
      }) as unknown as tf.KernelFunc,
    });
    tf.registerKernel({
      kernelName: ATTENTION_SOFTMAX_GRAD_KERNEL,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { y, dy } = inputs;
        const cols = y.shape[y.shape.length - 1];
        const ds = wasm.makeOutput(y.shape, 'float32');
        native.scaledSoftmaxGrad(heap(wasm, y), heap(wasm, dy), heap(wasm, ds), cols ? y.shape.reduce((p, n) => p * n, 1) / cols : 0, cols, (attrs as { scale: number }).scale);
        return ds;
      }) as unknown as tf.KernelFunc,
    });
  }
}
