import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM_KERNEL } from '../kernels/adam';
import { batchedMatmul } from '../kernels/matmul-kernels';
import { PICK_LOG_SOFTMAX_GRAD_KERNEL, PICK_LOG_SOFTMAX_KERNEL } from '../kernels/pick-log-softmax';
import { nativeKernels, type NativeKernels } from '../kernels/native';

type KernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => tf.TensorInfo | tf.TensorInfo[];

interface WasmBackend {
  readSync(dataId: object): tf.TypedArray;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object): boolean;
}

let registered = false;

/** The batch dimensions of a product: equal on both sides, or one side holding one matrix. */
function batchOf(a: tf.TensorInfo, b: tf.TensorInfo): { lead: number[]; batchA: number; batchB: number } | undefined {
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  const count = (lead: number[]) => lead.reduce((p, d) => p * d, 1);
  const [batchA, batchB] = [count(leadA), count(leadB)];
  const same = leadA.length === leadB.length && leadA.every((d, i) => d === leadB[i]);
  if (!(same || batchA === 1 || batchB === 1)) return undefined;
  return { lead: batchA >= batchB ? leadA : leadB, batchA, batchB };
}

/**
 * op(a) · op(b) in the native kernel, straight on the wasm heap (transposes are absorbed by its
 * packing); undefined for what it does not take (other dtypes, batch dimensions that broadcast
 * both ways).
 */
function nativeProduct(native: NativeKernels, backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const batch = batchOf(a, b);
  if (!batch) return undefined;
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k] = transA ? [ca, ra] : [ra, ca];
  const n = transB ? rb : cb;
  if ((transB ? cb : rb) !== k) throw new Error(`Error in matMul: inner shapes (${k}) and (${transB ? cb : rb}) of Tensors with shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} and transposeA=${transA} and transposeB=${transB} must match.`);
  const out = backend.makeOutput([...batch.lead, m, n], 'float32');
  const heap = (x: tf.TensorInfo) => backend.typedArrayFromHeap(x) as Float32Array;
  native.matmul(heap(a), heap(b), heap(out), Math.max(batch.batchA, batch.batchB), m, k, n, batch.batchA === 1 ? 0 : m * k, batch.batchB === 1 ? 0 : k * n, transA, transB);
  return out;
}

/**
 * a · b in aya-fw's batched kernel when there is more than one matrix and the batch dimensions
 * are equal or one side holds a single matrix; undefined to leave the product to the stock kernel.
 */
function batched(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 3 || b.shape.length < 3) return undefined;
  const batch = batchOf(a, b);
  if (!batch || Math.max(batch.batchA, batch.batchB) < 2) return undefined;
  const { batchA, batchB } = batch;
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const out = backend.makeOutput([...batch.lead, m, n], 'float32');
  const ok = batchedMatmul(backend.typedArrayFromHeap(a) as Float32Array, backend.typedArrayFromHeap(b) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, Math.max(batchA, batchB), m, k, n);
  if (ok) return out;
  backend.disposeData(out.dataId);
  return undefined;
}

/**
 * aya-fw's kernel pack for the wasm backend, registered once when aya-fw selects it:
 * - `BatchMatMul` in aya-fw's native kernel (`native/gemm.cc`, multi-threaded, operating on
 *   the wasm heap in place) when it was built at install; otherwise:
 * - `BatchMatMul`: the stock kernel reaches XNNPACK only for untransposed operands and falls
 *   into a naive loop otherwise (every backward matmul); transposed operands are materialised
 *   with the wasm Transpose kernel so the product takes the fast path. Products of several
 *   matrices (attention's QKᵀ and AV and their gradients), which the stock kernel also loops
 *   over naively, run in aya-fw's SIMD kernel (`kernels/matmul.wat`).
 * - `UnsortedSegmentSum`: missing in tfjs-backend-wasm 4.22, so the gradient of `gather`
 *   (embeddings, picking log-probs) threw.
 * - {@link FUSED_ADAM_KERNEL} with the native kernels: Adam's update in one pass instead of a
 *   dozen elementwise kernels per parameter.
 * - {@link PICK_LOG_SOFTMAX_KERNEL} and its gradient with the native kernels: log-likelihoods
 *   of target tokens without materialising [rows, vocab] log-probabilities.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const stock = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (stock && transpose) {
    const stockFunc = stock.kernelFunc as unknown as KernelFunc;
    const transposeFunc = transpose.kernelFunc as unknown as KernelFunc;
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      setupFunc: stock.setupFunc,
      kernelFunc: ((args: Parameters<KernelFunc>[0]) => {
        const { a, b } = args.inputs;
        const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
        const native = nativeKernels();
        const done = native && nativeProduct(native, args.backend as WasmBackend, a, b, !!attrs.transposeA, !!attrs.transposeB);
        if (done) return done;
        if (!attrs.transposeA && !attrs.transposeB) return batched(args.backend as WasmBackend, a, b) ?? stockFunc(args);
        const backend = args.backend as WasmBackend;
        const swapLast = (x: tf.TensorInfo) => {
          const perm = x.shape.map((_, i) => i);
          [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
          return transposeFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        };
        const at = attrs.transposeA ? swapLast(a) : a;
        const bt = attrs.transposeB ? swapLast(b) : b;
        try {
          return batched(backend, at, bt) ?? stockFunc({ ...args, inputs: { a: at, b: bt }, attrs: { ...attrs, transposeA: false, transposeB: false } });
        } finally {
          if (at !== a) backend.disposeData(at.dataId);
          if (bt !== b) backend.disposeData(bt.dataId);
        }
      }) as unknown as tf.KernelFunc,
    });
  }
  const native = nativeKernels();
  if (native && !tf.getKernel(FUSED_ADAM_KERNEL, 'wasm')) {
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
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { x, segmentIds } = inputs;
        const numSegments = (attrs as { numSegments: number }).numSegments;
        const values = wasm.readSync(x.dataId);
        const ids = wasm.readSync(segmentIds.dataId);
        const inner = x.shape.slice(1).reduce((p, d) => p * d, 1);
        const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
        const sums = wasm.typedArrayFromHeap(out);
        sums.fill(0);
        for (let i = 0; i < ids.length; i++) {
          const segment = ids[i];
          if (segment < 0 || segment >= numSegments) continue;
          const from = i * inner;
          const to = segment * inner;
          for (let j = 0; j < inner; j++) sums[to + j] += values[from + j];
        }
        return out;
      }) as unknown as tf.KernelFunc,
    });
  }
}
