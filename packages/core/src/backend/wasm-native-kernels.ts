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

/** Views of tensors on the wasm heap, for a kernel body. */
interface HeapViews {
  f32(t: tf.TensorInfo): Float32Array;
  i32(t: tf.TensorInfo): Int32Array;
}

/**
 * Registers a wasm kernel that writes `outputs` (their shapes from the inputs) through heap
 * views. The outputs are allocated before any view is taken (allocating may grow the heap, which
 * detaches earlier views) and freed if the body throws. A single output is returned as a tensor.
 */
function heapKernel(
  name: string,
  outputs: (inputs: Record<string, tf.TensorInfo>) => number[][],
  body: (views: HeapViews, inputs: Record<string, tf.TensorInfo>, outs: tf.TensorInfo[], attrs: Record<string, number>) => void,
): void {
  if (tf.getKernel(name, 'wasm')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
      const wasm = backend as WasmBackend;
      const outs = outputs(inputs).map((shape) => wasm.makeOutput(shape, 'float32'));
      const views: HeapViews = { f32: (t) => wasm.typedArrayFromHeap(t) as Float32Array, i32: (t) => wasm.typedArrayFromHeap(t) as Int32Array };
      try {
        body(views, inputs, outs, (attrs ?? {}) as Record<string, number>);
      } catch (err) {
        for (const o of outs) wasm.disposeData(o.dataId);
        throw err;
      }
      return outs.length === 1 ? outs[0] : outs;
    }) as unknown as tf.KernelFunc,
  });
}

/** [rows, last] of a shape: the last axis and the product of the others. */
function rowsOf(shape: readonly number[]): [number, number] {
  const last = shape[shape.length - 1];
  return [last ? shape.reduce((p, n) => p * n, 1) / last : 0, last];
}

/**
 * The fused kernels that exist only with the native addon, on the wasm heap in place:
 * {@link FUSED_ADAM_KERNEL}, and {@link PICK_LOG_SOFTMAX_KERNEL}, {@link RMS_NORM_KERNEL},
 * {@link SWIGLU_KERNEL} and {@link ATTENTION_SOFTMAX_KERNEL} with their gradients.
 */
export function registerFusedNativeKernels(native: NativeKernels): void {
  heapKernel(
    FUSED_ADAM_KERNEL,
    ({ param, m, v }) => [param.shape, m.shape, v.shape],
    ({ f32 }, { param, gradient, m, v }, [p2, m2, v2], h) =>
      native.adam(f32(param), f32(gradient), f32(m), f32(v), f32(p2), f32(m2), f32(v2), h.stepSize, h.beta1, h.beta2, h.epsilon, h.biasCorrection2, h.weightDecay, h.decayFactor),
  );
  heapKernel(
    PICK_LOG_SOFTMAX_KERNEL,
    ({ x }) => [[x.shape[0]], [x.shape[0]]],
    ({ f32, i32 }, { x, targets }, [out, lse]) => native.pickLogSoftmax(f32(x), i32(targets), f32(out), f32(lse), x.shape[0], x.shape[1]),
  );
  heapKernel(
    PICK_LOG_SOFTMAX_GRAD_KERNEL,
    ({ x }) => [x.shape],
    ({ f32, i32 }, { x, targets, lse, dy }, [dx]) => native.pickLogSoftmaxGrad(f32(x), i32(targets), f32(lse), f32(dy), f32(dx), x.shape[0], x.shape[1]),
  );
  heapKernel(
    RMS_NORM_KERNEL,
    ({ x }) => [x.shape, [rowsOf(x.shape)[0]]],
    ({ f32 }, { x, weight }, [y, rstd], { eps }) => {
      const [rows, d] = rowsOf(x.shape);
      if (weight.shape.length !== 1 || weight.shape[0] !== d) throw new Error(`RMSNorm: weight of shape ${JSON.stringify(weight.shape)} does not match the last axis of ${JSON.stringify(x.shape)}`);
      native.rmsNorm(f32(x), f32(weight), f32(y), f32(rstd), rows, d, eps);
    },
  );
  heapKernel(
    RMS_NORM_GRAD_KERNEL,
    ({ x, weight }) => [x.shape, weight.shape],
    ({ f32 }, { x, weight, rstd, dy }, [dx, dw]) => native.rmsNormGrad(f32(x), f32(weight), f32(rstd), f32(dy), f32(dx), f32(dw), ...rowsOf(x.shape)),
  );
  heapKernel(
    SWIGLU_KERNEL,
    ({ gate }) => [gate.shape],
    ({ f32 }, { gate, up }, [y]) => native.swiglu(f32(gate), f32(up), f32(y)),
  );
  heapKernel(
    SWIGLU_GRAD_KERNEL,
    ({ gate, up }) => [gate.shape, up.shape],
    ({ f32 }, { gate, up, dy }, [dgate, dup]) => native.swigluGrad(f32(gate), f32(up), f32(dy), f32(dgate), f32(dup)),
  );
  heapKernel(
    ATTENTION_SOFTMAX_KERNEL,
    ({ scores }) => [scores.shape],
    ({ f32 }, { scores, bias }, [y], { scale }) => {
      const [b, h, s, t] = scores.shape;
      native.scaledBiasedSoftmax(f32(scores), f32(bias), f32(y), b, h, s, t, bias.shape[0], scale);
    },
  );
  heapKernel(
    ATTENTION_SOFTMAX_GRAD_KERNEL,
    ({ y }) => [y.shape],
    ({ f32 }, { y, dy }, [ds], { scale }) => native.scaledSoftmaxGrad(f32(y), f32(dy), f32(ds), ...rowsOf(y.shape), scale),
  );
}
