import * as tf from '@tensorflow/tfjs-core';
import type { Ops } from './ops.ts';

/** Eager tfjs lowering of the component ops: today's behaviour, gradients included. */
export class TfjsOps implements Ops<tf.Tensor> {
  /**
   * @param differentiable row lookups as one-hot matmuls: the gradient of gather needs the
   * UnsortedSegmentSum kernel, which the WASM backend lacks.
   */
  constructor(private readonly differentiable = false) {}

  shape(x: tf.Tensor): readonly number[] { return x.shape; }
  matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor { return tf.matMul(a, b, transposeA, transposeB); }
  add(a: tf.Tensor, b: tf.Tensor | number): tf.Tensor { return tf.add(a, b); }
  sub(a: tf.Tensor, b: tf.Tensor): tf.Tensor { return tf.sub(a, b); }
  mul(a: tf.Tensor, b: tf.Tensor | number): tf.Tensor { return tf.mul(a, b); }
  div(a: tf.Tensor, b: tf.Tensor): tf.Tensor { return tf.div(a, b); }
  pow(x: tf.Tensor, exponent: number): tf.Tensor { return tf.pow(x, exponent); }
  square(x: tf.Tensor): tf.Tensor { return tf.square(x); }
  sqrt(x: tf.Tensor): tf.Tensor { return tf.sqrt(x); }
  tanh(x: tf.Tensor): tf.Tensor { return tf.tanh(x); }
  erf(x: tf.Tensor): tf.Tensor { return tf.erf(x); }
  sigmoid(x: tf.Tensor): tf.Tensor { return tf.sigmoid(x); }
  relu(x: tf.Tensor): tf.Tensor { return tf.relu(x); }
  mean(x: tf.Tensor, axis: number, keepDims: boolean): tf.Tensor { return tf.mean(x, axis, keepDims); }
  sum(x: tf.Tensor, axis: number): tf.Tensor { return tf.sum(x, axis); }
  softmax(x: tf.Tensor): tf.Tensor { return tf.softmax(x); }
  nanToZero(x: tf.Tensor): tf.Tensor { return tf.where(tf.isNaN(x), tf.zerosLike(x), x); }
  reshape(x: tf.Tensor, shape: readonly number[]): tf.Tensor { return tf.reshape(x, [...shape]); }
  transpose(x: tf.Tensor, perm: readonly number[]): tf.Tensor { return tf.transpose(x, [...perm]); }
  concat(xs: readonly tf.Tensor[], axis: number): tf.Tensor { return tf.concat([...xs], axis); }
  split(x: tf.Tensor, sizes: readonly number[] | number, axis: number): tf.Tensor[] { return tf.split(x, typeof sizes === 'number' ? sizes : [...sizes], axis); }
  stack(xs: readonly tf.Tensor[], axis: number): tf.Tensor { return tf.stack([...xs], axis); }
  squeeze(x: tf.Tensor, axis: number): tf.Tensor { return tf.squeeze(x, [axis]); }
  expandDims(x: tf.Tensor, axis: number): tf.Tensor { return tf.expandDims(x, axis); }
  gather(x: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor { return tf.gather(x, indices, axis); }

  lookupRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
    if (!this.differentiable) return tf.gather(table, ids);
    const oneHot = tf.oneHot(tf.reshape(ids, [-1]), table.shape[0]).toFloat();
    return tf.reshape(tf.matMul(oneHot, table), [...ids.shape, table.shape[1]!]);
  }
}
