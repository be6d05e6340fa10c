import * as tf from '@tensorflow/tfjs-core';
// Type-only: tfjs-core declares the chained methods (x.add(y), x.reshape(…)) there. Its
// run-time version is ESM that Node cannot load (directory imports), and the CommonJS
// bundle Node uses leaves them out, so they are installed below. Exported so that declaration
// emit keeps the import: projects using the built @hooklens/core see the methods too.
import type * as ChainedOpDeclarations from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
export type { ChainedOpDeclarations };

/** Methods whose chained form is `tf.name(this, ...args)`. */
const SAME_SIGNATURE = [
  'abs', 'acos', 'acosh', 'add', 'all', 'any', 'argMax', 'argMin', 'asin', 'asinh', 'atan', 'atan2', 'atanh',
  'batchNorm', 'batchToSpaceND', 'broadcastTo', 'cast', 'ceil', 'clipByValue', 'conv1d', 'conv2d', 'cos', 'cosh',
  'cumprod', 'cumsum', 'depthToSpace', 'div', 'divNoNan', 'dot', 'elu', 'equal', 'erf', 'euclideanNorm', 'exp',
  'expandDims', 'expm1', 'fft', 'floor', 'floorDiv', 'gather', 'greater', 'greaterEqual', 'ifft', 'irfft', 'isFinite',
  'isInf', 'isNaN', 'leakyRelu', 'less', 'lessEqual', 'log', 'log1p', 'logSigmoid', 'logSoftmax', 'logSumExp',
  'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor', 'matMul', 'max', 'maximum', 'mean', 'min', 'minimum',
  'mirrorPad', 'mod', 'mul', 'neg', 'norm', 'notEqual', 'oneHot', 'onesLike', 'pad', 'pool', 'pow', 'prelu', 'prod',
  'reciprocal', 'relu', 'relu6', 'reshape', 'reverse', 'rfft', 'round', 'rsqrt', 'selu', 'sigmoid', 'sign', 'sin',
  'sinh', 'slice', 'softmax', 'softplus', 'spaceToBatchND', 'split', 'sqrt', 'square', 'squaredDifference', 'squeeze',
  'step', 'stridedSlice', 'sub', 'sum', 'tan', 'tanh', 'tile', 'topk', 'transpose', 'unique', 'unstack', 'zerosLike',
] as const;

type Method = (this: tf.Tensor, ...args: unknown[]) => unknown;

function install(): void {
  const prototype = tf.Tensor.prototype as unknown as Record<string, Method>;
  if (typeof prototype.add === 'function') return; // the ESM build (e.g. under Vite) already has them
  const ops = tf as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of SAME_SIGNATURE) {
    prototype[name] = function (...args) { return ops[name](this, ...args); };
  }
  const reshapeTo = (shape: number[]): Method => function () { return tf.reshape(this, shape.length ? shape : [this.size]); };
  prototype.flatten = reshapeTo([]);
  prototype.asScalar = function () { return tf.reshape(this, []); };
  for (const rank of [1, 2, 3, 4, 5]) {
    prototype[`as${rank}D`] = function (...shape) { return tf.reshape(this, rank === 1 ? [this.size] : (shape as number[])); };
  }
  prototype.asType = function (dtype) { return tf.cast(this, dtype as tf.DataType); };
  prototype.toFloat = function () { return tf.cast(this, 'float32'); };
  prototype.toInt = function () { return tf.cast(this, 'int32'); };
  prototype.toBool = function () { return tf.cast(this, 'bool'); };
  prototype.reshapeAs = function (other) { return tf.reshape(this, (other as tf.Tensor).shape); };
  prototype.concat = function (others, axis) { return tf.concat([this, ...(Array.isArray(others) ? others : [others as tf.Tensor])], axis as number); };
  prototype.stack = function (others, axis) { return tf.stack([this, ...(Array.isArray(others) ? others : [others as tf.Tensor])], axis as number); };
  prototype.where = function (condition, other) { return tf.where(condition as tf.Tensor, this, other as tf.Tensor); };
}

install();
