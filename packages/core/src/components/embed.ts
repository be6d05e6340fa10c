import * as tf from '@tensorflow/tfjs-core';
import type { RunContext } from '../hooks/runContext.ts';

/**
 * A row lookup. When training, a one-hot matmul instead: the gradient of gather needs the
 * UnsortedSegmentSum kernel, which the WASM backend lacks.
 */
export function lookupRows(table: tf.Tensor2D, ids: tf.Tensor2D, differentiable: boolean): tf.Tensor3D {
  const [batch, pos] = ids.shape;
  if (!differentiable) return tf.gather(table, ids) as unknown as tf.Tensor3D;
  const oneHot = tf.oneHot(ids.reshape([-1]), table.shape[0]).toFloat();
  return tf.matMul(oneHot, table).reshape([batch, pos, table.shape[1]]);
}

export class Embed {
  constructor(readonly W_E: tf.Tensor2D, private readonly differentiable = false) {}

  forward(tokens: tf.Tensor2D, ctx: RunContext): tf.Tensor3D {
    return ctx.hook('hook_embed', lookupRows(this.W_E, tokens, this.differentiable)); // [batch, pos, d_model]
  }
}

/** Learned absolute positions (GPT-2). */
export class PosEmbed {
  constructor(readonly W_pos: tf.Tensor2D, private readonly differentiable = false) {}

  /** Pad positions (mask 0) get a zero positional embedding, as TransformerLens gives them. */
  forward(positions: tf.Tensor2D, ctx: RunContext, mask?: number[][]): tf.Tensor3D {
    let embedding = lookupRows(this.W_pos, positions, this.differentiable);
    if (mask) embedding = embedding.mul(tf.tensor3d(mask.map((row) => row.map((real) => [real])), [mask.length, mask[0].length, 1]));
    return ctx.hook('hook_pos_embed', embedding); // [batch, pos, d_model]
  }
}
