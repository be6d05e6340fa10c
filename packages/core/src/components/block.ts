import type { HookContext } from '../engine/ops.ts';
import type { Ops } from '../engine/ops.ts';
import type { Attention, AttentionInputs, LayerKeyValues } from './attention.ts';
import type { Mlp } from './mlp.ts';
import type { Norm } from './norm.ts';

/**
 * A pre-norm transformer block; attention-only when it has no MLP. Sandwich norms (Gemma 2/3)
 * normalise the attention and MLP outputs again (ln1_post, ln2_post) before hook_attn_out /
 * hook_mlp_out and the residual add, as TransformerLens does.
 */
export class Block<T> {
  private readonly prefix: string;

  constructor(
    private readonly ops: Ops<T>,
    layer: number,
    readonly ln1: Norm<T>,
    readonly attn: Attention<T>,
    readonly ln2: Norm<T> | undefined,
    readonly mlp: Mlp<T> | undefined,
    readonly post?: { ln1: Norm<T>; ln2: Norm<T> | undefined },
  ) {
    this.prefix = `blocks.${layer}.`;
  }

  forward(residual: T, ctx: HookContext<T>, inputs: AttentionInputs<T>, cached?: LayerKeyValues<T>): T {
    const p = this.prefix;
    const ops = this.ops;
    const x = ctx.hook(`${p}hook_resid_pre`, residual); // [batch, pos, d_model]
    const attention = this.attn.forward(this.ln1.forward(x, ctx), ctx, inputs, cached);
    const attnOut = ctx.hook(`${p}hook_attn_out`, this.post ? this.post.ln1.forward(attention, ctx) : attention); // [batch, pos, d_model]
    if (!this.mlp || !this.ln2) return ctx.hook(`${p}hook_resid_post`, ops.add(x, attnOut));
    const mid = ctx.hook(`${p}hook_resid_mid`, ops.add(x, attnOut)); // [batch, pos, d_model]
    const mlp = this.mlp.forward(this.ln2.forward(mid, ctx), ctx);
    const mlpOut = ctx.hook(`${p}hook_mlp_out`, this.post?.ln2 ? this.post.ln2.forward(mlp, ctx) : mlp); // [batch, pos, d_model]
    return ctx.hook(`${p}hook_resid_post`, ops.add(mid, mlpOut)); // [batch, pos, d_model]
  }
}
