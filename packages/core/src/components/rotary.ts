import * as tf from '@tensorflow/tfjs-core';
import type { RotaryPairing } from '../config.ts';

/**
 * Rotary position embedding. Frequencies base^(-2i/rotaryDim); the pairing decides which
 * dimensions rotate together: `half` (i, i + r/2) as Hugging Face stores Llama,
 * `adjacent` (2i, 2i + 1) as Meta's and llama2.c's checkpoints do.
 */
export class Rotary {
  private readonly cos: tf.Tensor2D; // [n_ctx, rotary_dim / 2]
  private readonly sin: tf.Tensor2D;

  constructor(nCtx: number, private readonly rotaryDim: number, base: number, private readonly pairing: RotaryPairing) {
    const half = rotaryDim / 2;
    const cos = new Float32Array(nCtx * half);
    const sin = new Float32Array(nCtx * half);
    for (let position = 0; position < nCtx; position++) {
      for (let i = 0; i < half; i++) {
        const angle = position * base ** ((-2 * i) / rotaryDim);
        cos[position * half + i] = Math.cos(angle);
        sin[position * half + i] = Math.sin(angle);
      }
    }
    this.cos = tf.tensor2d(cos, [nCtx, half]);
    this.sin = tf.tensor2d(sin, [nCtx, half]);
  }

  /** x: [batch, pos, head, d_head]; positions: [batch, pos]. */
  apply(x: tf.Tensor4D, positions: tf.Tensor2D): tf.Tensor4D {
    const dHead = x.shape[3];
    const cos = tf.gather(this.cos, positions).expandDims(2); // [batch, pos, 1, r/2]
    const sin = tf.gather(this.sin, positions).expandDims(2);
    const [rotated, passThrough] = this.rotaryDim === dHead ? [x, undefined] : tf.split(x, [this.rotaryDim, dHead - this.rotaryDim], 3);
    const out = this.pairing === 'half' ? rotateHalf(rotated as tf.Tensor4D, cos, sin) : rotateAdjacent(rotated as tf.Tensor4D, cos, sin);
    return (passThrough ? tf.concat([out, passThrough], 3) : out) as tf.Tensor4D;
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}

function rotateHalf(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const [first, second] = tf.split(x, 2, 3);
  return tf.concat([first.mul(cos).sub(second.mul(sin)), second.mul(cos).add(first.mul(sin))], 3) as tf.Tensor4D;
}

function rotateAdjacent(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const [batch, pos, heads, dim] = x.shape;
  const [even, odd] = tf.split(x.reshape([batch, pos, heads, dim / 2, 2]), 2, 4).map((t) => t.squeeze([4]));
  const rotatedEven = even.mul(cos).sub(odd.mul(sin));
  const rotatedOdd = even.mul(sin).add(odd.mul(cos));
  return tf.stack([rotatedEven, rotatedOdd], 4).reshape([batch, pos, heads, dim]) as tf.Tensor4D;
}
