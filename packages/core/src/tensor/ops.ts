import * as tf from '@tensorflow/tfjs';

/** log σ(x) = −softplus(−x); tfjs 4.22 has no gradient for `logSigmoid` on cpu. */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}

const stopGradientOp = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as Parameters<typeof tf.customGrad>[0]);

/** sg(x): the value of x, with no gradient flowing back through it (tfjs has no such op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
