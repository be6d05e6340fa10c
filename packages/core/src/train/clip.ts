import * as tf from '@tensorflow/tfjs-core';

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (as torch's
 * clip_grad_norm_). Returns the clipped gradients (new tensors; the inputs are left alone)
 * and the norm before clipping, as a scalar tensor. Call inside tf.tidy.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  // min(1, maxNorm / norm): gradients under the bound pass unchanged.
  const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)));
  return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
}
