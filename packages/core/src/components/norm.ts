import * as tf from '@tensorflow/tfjs-core';
import type { NormType } from '../config.ts';
import type { RunContext } from '../hooks/runContext.ts';

/**
 * LayerNorm or RMSNorm with TransformerLens' hook semantics: `hook_scale` is
 * [batch, pos, 1]; a LayerNorm's `hook_normalized` is after weight and bias, an
 * RMSNorm's is before its weight.
 */
export class Norm {
  constructor(
    private readonly type: NormType,
    private readonly eps: number,
    readonly w: tf.Tensor1D,
    readonly b: tf.Tensor1D | undefined,
    private readonly prefix: string, // e.g. 'blocks.0.ln1.'
  ) {}

  forward(x: tf.Tensor3D, ctx: RunContext): tf.Tensor3D {
    if (this.type === 'layernorm') {
      const centered = x.sub(x.mean(-1, true));
      const scale = ctx.hook(`${this.prefix}hook_scale`, centered.square().mean(-1, true).add(this.eps).sqrt()); // [batch, pos, 1]
      const affine = centered.div(scale).mul(this.w);
      return ctx.hook(`${this.prefix}hook_normalized`, (this.b ? affine.add(this.b) : affine) as tf.Tensor3D); // [batch, pos, d_model]
    }
    const scale = ctx.hook(`${this.prefix}hook_scale`, x.square().mean(-1, true).add(this.eps).sqrt()); // [batch, pos, 1]
    const normalized = ctx.hook(`${this.prefix}hook_normalized`, x.div(scale) as tf.Tensor3D); // [batch, pos, d_model]
    return normalized.mul(this.w);
  }
}
