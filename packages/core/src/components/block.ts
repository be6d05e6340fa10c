import type * as tf from '@tensorflow/tfjs-core';
import type { RunContext } from '../hooks/runContext.ts';
import type { Attention, AttentionInputs, LayerKeyValues } from './attention.ts';
import type { Mlp } from './mlp.ts';
import type { Norm } from './norm.ts';

/** A pre-norm transformer block; attention-only when it has no MLP. */
export class Block {
  private readonly prefix: string;

  constructor(
    layer: number,
    readonly ln1: Norm,
    readonly attn: Attention,
    readonly ln2: Norm | undefined,
    readonly mlp: Mlp | undefined,
  ) {
    this.prefix = `blocks.${layer}.`;
  }

  forward(residual: tf.Tensor3D, ctx: RunContext, inputs: AttentionInputs, cached?: LayerKeyValues): tf.Tensor3D {
    const p = this.prefix;
    const x = ctx.hook(`${p}hook_resid_pre`, residual); // [batch, pos, d_model]
    const attnOut = ctx.hook(`${p}hook_attn_out`, this.attn.forward(this.ln1.forward(x, ctx), ctx, inputs, cached)); // [batch, pos, d_model]
    if (!this.mlp || !this.ln2) return ctx.hook(`${p}hook_resid_post`, x.add(attnOut) as tf.Tensor3D);
    const mid = ctx.hook(`${p}hook_resid_mid`, x.add(attnOut) as tf.Tensor3D); // [batch, pos, d_model]
    const mlpOut = ctx.hook(`${p}hook_mlp_out`, this.mlp.forward(this.ln2.forward(mid, ctx), ctx)); // [batch, pos, d_model]
    return ctx.hook(`${p}hook_resid_post`, mid.add(mlpOut) as tf.Tensor3D); // [batch, pos, d_model]
  }
}
