import type { ActivationFunction } from '../config.ts';
import type { Ops } from '../engine/ops.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The MLP non-linearities, written out so each matches its reference definition exactly. */
export function applyActivation<T>(ops: Ops<T>, name: ActivationFunction, x: T): T {
  switch (name) {
    case 'gelu_new': // GPT-2's tanh approximation
      return ops.mul(ops.mul(x, 0.5), ops.add(ops.tanh(ops.mul(ops.add(x, ops.mul(ops.pow(x, 3), 0.044715)), SQRT_2_OVER_PI)), 1));
    case 'gelu':
      return ops.mul(ops.mul(x, 0.5), ops.add(ops.erf(ops.mul(x, Math.SQRT1_2)), 1));
    case 'relu':
      return ops.relu(x);
    case 'silu':
      return ops.mul(x, ops.sigmoid(x));
  }
}
