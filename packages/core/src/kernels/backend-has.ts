import * as tf from '@tensorflow/tfjs';

/** Whether the active backend registered every one of `kernelNames` (a fused operation's kernels). */
export function backendHas(...kernelNames: string[]): boolean {
  const backend = tf.getBackend();
  return kernelNames.every((name) => tf.getKernel(name, backend) !== undefined);
}
