import * as tf from '@tensorflow/tfjs-core';

export class Unembed {
  constructor(readonly W_U: tf.Tensor2D, readonly b_U: tf.Tensor1D | undefined) {}

  forward(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, pos, dModel] = x.shape;
    const logits = tf.matMul(x.reshape([batch * pos, dModel]), this.W_U);
    return (this.b_U ? logits.add(this.b_U) : logits).reshape([batch, pos, this.W_U.shape[1]]) as tf.Tensor3D; // [batch, pos, d_vocab]
  }
}
