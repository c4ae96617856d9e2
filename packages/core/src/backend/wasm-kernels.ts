import * as tf from '@tensorflow/tfjs';

type KernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => tf.TensorInfo | tf.TensorInfo[];

interface WasmBackend {
  readSync(dataId: object): tf.TypedArray;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object): boolean;
}

let registered = false;

/**
 * aya-fw's kernel pack for the wasm backend, registered once when aya-fw selects it:
 * - `BatchMatMul`: the stock kernel reaches XNNPACK only for untransposed operands and falls
 *   into a naive loop otherwise (every backward matmul); transposed operands are materialised
 *   with the wasm Transpose kernel so the product takes the fast path.
 * - `UnsortedSegmentSum`: missing in tfjs-backend-wasm 4.22, so the gradient of `gather`
 *   (embeddings, picking log-probs) threw.
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
        if (!attrs.transposeA && !attrs.transposeB) return stockFunc(args);
        const backend = args.backend as WasmBackend;
        const swapLast = (x: tf.TensorInfo) => {
          const perm = x.shape.map((_, i) => i);
          [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
          return transposeFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        };
        const at = attrs.transposeA ? swapLast(a) : a;
        const bt = attrs.transposeB ? swapLast(b) : b;
        try {
          return stockFunc({ ...args, inputs: { a: at, b: bt }, attrs: { ...attrs, transposeA: false, transposeB: false } });
        } finally {
          if (at !== a) backend.disposeData(at.dataId);
          if (bt !== b) backend.disposeData(bt.dataId);
        }
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
