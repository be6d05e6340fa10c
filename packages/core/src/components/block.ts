import type { HookContext } from '../engine/ops.ts';
import type { Ops } from '../engine/ops.ts';
import type { Attention, AttentionInputs, LayerKeyValues } from './attention.ts';
import type { Mlp } from './mlp.ts';
import type { Norm } from './norm.ts';

/**
 * A pre-norm transformer block; attention-only when it has no MLP. `parallelResidual`
 * (GPT-NeoX): attention and MLP both read resid_pre and add to it together, with no resid_mid.
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
    private readonly parallelResidual = false,
  ) {
    this.prefix = `blocks.${layer}.`;
  }

  forward(residual: T, ctx: HookContext<T>, inputs: AttentionInputs<T>, cached?: LayerKeyValues<T>): T {
    const p = this.prefix;
    const ops = this.ops;
    const x = ctx.hook(`${p}hook_resid_pre`, residual); // [batch, pos, d_model]
    const attnOut = ctx.hook(`${p}hook_attn_out`, this.attn.forward(this.ln1.forward(x, ctx), ctx, inputs, cached)); // [batch, pos, d_model]
    if (!this.mlp || !this.ln2) return ctx.hook(`${p}hook_resid_post`, ops.add(x, attnOut));
    if (this.parallelResidual) {
      const parallelMlpOut = ctx.hook(`${p}hook_mlp_out`, this.mlp.forward(this.ln2.forward(x, ctx), ctx)); // [batch, pos, d_model]
      return ctx.hook(`${p}hook_resid_post`, ops.add(ops.add(x, attnOut), parallelMlpOut)); // [batch, pos, d_model]
    }
    const mid = ctx.hook(`${p}hook_resid_mid`, ops.add(x, attnOut)); // [batch, pos, d_model]
    const mlpOut = ctx.hook(`${p}hook_mlp_out`, this.mlp.forward(this.ln2.forward(mid, ctx), ctx)); // [batch, pos, d_model]
    return ctx.hook(`${p}hook_resid_post`, ops.add(mid, mlpOut)); // [batch, pos, d_model]
  }
}
