import * as tf from '@tensorflow/tfjs-core';
import type { ActivationFunction } from '../config.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The MLP non-linearities, written out so each matches its reference definition exactly. */
export function applyActivation(name: ActivationFunction, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'gelu_new': // GPT-2's tanh approximation
      return tf.tidy(() => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI)).add(1)));
    case 'gelu':
      return tf.tidy(() => x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)));
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return tf.tidy(() => x.mul(tf.sigmoid(x)));
  }
}
