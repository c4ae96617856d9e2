import * as tf from '@tensorflow/tfjs';
import { batchedMatmul } from '../kernels/matmul-kernels';
import { nativeKernels } from '../kernels/native';
import { batchOf, type KernelFunc, type WasmBackend } from './wasm-heap';
import { nativeProduct, registerFusedNativeKernels } from './wasm-native-kernels';

let registered = false;

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

/** Replaces the wasm backend's kernel `name`, handing the replacement the stock kernel to fall back on. */
function replaceKernel(name: string, kernel: (args: Parameters<KernelFunc>[0], stock: KernelFunc) => ReturnType<KernelFunc>): void {
  const stock = tf.getKernel(name, 'wasm');
  if (!stock) return;
  const stockFunc = stock.kernelFunc as unknown as KernelFunc;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: ((args: Parameters<KernelFunc>[0]) => kernel(args, stockFunc)) as unknown as tf.KernelFunc });
}

/**
 * BatchMatMul: the native kernel when built; else transposed operands materialised by the wasm
 * Transpose kernel, then aya-fw's batched kernel or the stock one (XNNPACK for a single matrix).
 */
function product(args: Parameters<KernelFunc>[0], stock: KernelFunc, transpose: KernelFunc): ReturnType<KernelFunc> {
  const { a, b } = args.inputs;
  const backend = args.backend as WasmBackend;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const native = nativeKernels();
  const done = native && nativeProduct(native, backend, a, b, !!attrs.transposeA, !!attrs.transposeB);
  if (done) return done;
  if (!attrs.transposeA && !attrs.transposeB) return batched(backend, a, b) ?? stock(args);
  const swapLast = (x: tf.TensorInfo) => {
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
  };
  const at = attrs.transposeA ? swapLast(a) : a;
  const bt = attrs.transposeB ? swapLast(b) : b;
  try {
    return batched(backend, at, bt) ?? stock({ ...args, inputs: { a: at, b: bt }, attrs: { ...attrs, transposeA: false, transposeB: false } });
  } finally {
    if (at !== a) backend.disposeData(at.dataId);
    if (bt !== b) backend.disposeData(bt.dataId);
  }
}

/** x[indices] along the first axis, one row copy per index; undefined for other axes. */
function gatherRows(backend: WasmBackend, x: tf.TensorInfo, indices: tf.TensorInfo, attrs: { axis: number; batchDims: number }): tf.TensorInfo | undefined {
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  if (axis !== 0 || attrs.batchDims !== 0 || indices.dtype !== 'int32' || x.dtype === 'string') return undefined;
  const rows = x.shape[0];
  const inner = x.shape.slice(1).reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(indices);
  const dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i];
    if (!(r >= 0 && r < rows)) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${r} is not in [0, ${rows - 1}]`);
    }
    dst.set(src.subarray(r * inner, (r + 1) * inner), i * inner);
  }
  return out;
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
 * - `GatherV2` along the first axis (embedding lookups) as one row copy per index: the stock
 *   kernel walks every element with stride arithmetic (2.6 ms for 512 rows of 128).
 * - with the native kernels, the fused kernels of `wasm-native-kernels.ts`: Adam's update, and
 *   RMSNorm, SwiGLU, attention's softmax and the log-likelihood of targets with their gradients.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const transpose = tf.getKernel('Transpose', 'wasm')?.kernelFunc as unknown as KernelFunc | undefined;
  if (transpose) replaceKernel('BatchMatMul', (args, stock) => product(args, stock, transpose));
  replaceKernel('GatherV2', (args, stock) => gatherRows(args.backend as WasmBackend, args.inputs.x, args.inputs.indices, args.attrs as { axis: number; batchDims: number }) ?? stock(args));
  const native = nativeKernels();
  if (native) registerFusedNativeKernels(native);
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend, attrs }: Parameters<KernelFunc>[0]) => {
        const wasm = backend as WasmBackend;
        const { x, segmentIds } = inputs;
        const numSegments = (attrs as { numSegments: number }).numSegments;
        const inner = x.shape.slice(1).reduce((p, d) => p * d, 1);
        // Output first: allocating may grow the heap, which detaches earlier views.
        const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
        const values = wasm.typedArrayFromHeap(x);
        const ids = wasm.typedArrayFromHeap(segmentIds);
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
