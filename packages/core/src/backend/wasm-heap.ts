import type * as tf from '@tensorflow/tfjs';

export type KernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => tf.TensorInfo | tf.TensorInfo[];

/** The parts of tfjs-backend-wasm's backend the kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object): boolean;
}

/** The batch dimensions of a product: equal on both sides, or one side holding one matrix. */
export function batchOf(a: tf.TensorInfo, b: tf.TensorInfo): { lead: number[]; batchA: number; batchB: number } | undefined {
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  const count = (lead: number[]) => lead.reduce((p, d) => p * d, 1);
  const [batchA, batchB] = [count(leadA), count(leadB)];
  const same = leadA.length === leadB.length && leadA.every((d, i) => d === leadB[i]);
  if (!(same || batchA === 1 || batchB === 1)) return undefined;
  return { lead: batchA >= batchB ? leadA : leadB, batchA, batchB };
}
