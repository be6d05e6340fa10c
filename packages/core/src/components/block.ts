import type { NormPlacement } from '../config.ts';
import type { HookContext } from '../engine/ops.ts';
import type { Ops } from '../engine/ops.ts';
import type { Attention, AttentionInputs, LayerKeyValues } from './attention.ts';
import type { Mlp } from './mlp.ts';
import type { Norm } from './norm.ts';

/**
 * A transformer block, its norms on the sublayer inputs (pre) or outputs (post, OLMo 2);
 * attention-only when it has no MLP. `parallelResidual` (GPT-NeoX): attention and MLP both
 * read resid_pre and add to it together, with no resid_mid.
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
    private readonly normPlacement: NormPlacement = 'pre',
    private readonly parallelResidual = false,
  ) {
    this.prefix = `blocks.${layer}.`;
  }

  forward(residual: T, ctx: HookContext<T>, inputs: AttentionInputs<T>, cached?: LayerKeyValues<T>): T {
    const p = this.prefix;
    const ops = this.ops;
    const x = ctx.hook(`${p}hook_resid_pre`, residual); // [batch, pos, d_model]
    const attnOut = ctx.hook(`${p}hook_attn_out`, this.sublayer(this.ln1, x, ctx, (input) => this.attn.forward(input, ctx, inputs, cached))); // [batch, pos, d_model]
    if (!this.mlp || !this.ln2) return ctx.hook(`${p}hook_resid_post`, ops.add(x, attnOut));
    const mlp = this.mlp;
    if (this.parallelResidual) {
      const parallelMlpOut = ctx.hook(`${p}hook_mlp_out`, this.sublayer(this.ln2, x, ctx, (input) => mlp.forward(input, ctx))); // [batch, pos, d_model]
      return ctx.hook(`${p}hook_resid_post`, ops.add(ops.add(x, attnOut), parallelMlpOut)); // [batch, pos, d_model]
    }
    const mid = ctx.hook(`${p}hook_resid_mid`, ops.add(x, attnOut)); // [batch, pos, d_model]
    const mlpOut = ctx.hook(`${p}hook_mlp_out`, this.sublayer(this.ln2, mid, ctx, (input) => mlp.forward(input, ctx))); // [batch, pos, d_model]
    return ctx.hook(`${p}hook_resid_post`, ops.add(mid, mlpOut)); // [batch, pos, d_model]
  }

  /**
   * A sublayer with its norm before it, or after it. After it, hook_attn_out / hook_mlp_out
   * hold the normed output, what joins the residual stream (TransformerLens 3 hooks OLMo 2's
   * before its ln1 / ln2; see the differences table), so residual decompositions still sum.
   */
  private sublayer(norm: Norm<T>, input: T, ctx: HookContext<T>, apply: (x: T) => T): T {
    return this.normPlacement === 'post' ? norm.forward(apply(input), ctx) : apply(norm.forward(input, ctx));
  }
}
