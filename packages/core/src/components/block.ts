import type { NormPlacement } from '../config.ts';
import type { HookContext } from '../engine/ops.ts';
import type { Ops } from '../engine/ops.ts';
import type { Attention, AttentionInputs, LayerKeyValues } from './attention.ts';
import type { Mlp } from './mlp.ts';
import type { Norm } from './norm.ts';

/** How a block arranges its norms and residual adds; the defaults are GPT-2's / Llama's. */
export interface BlockLayout<T> {
  /** `post`: ln1 / ln2 normalise the sublayer outputs (OLMo 2), not their inputs. */
  normPlacement?: NormPlacement;
  /** GPT-NeoX: attention and MLP both read resid_pre and add to it together, with no resid_mid. */
  parallelResidual?: boolean;
  /** Sandwich norms (Gemma 2/3): ln1_post / ln2_post normalise the sublayer outputs again. */
  post?: { ln1: Norm<T>; ln2: Norm<T> | undefined };
}

/**
 * A transformer block; attention-only when it has no MLP. hook_attn_out / hook_mlp_out hold
 * what joins the residual stream (after any post-norm), so residual decompositions still sum.
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
    readonly layout: BlockLayout<T> = {},
  ) {
    this.prefix = `blocks.${layer}.`;
  }

  forward(residual: T, ctx: HookContext<T>, inputs: AttentionInputs<T>, cached?: LayerKeyValues<T>): T {
    const p = this.prefix;
    const ops = this.ops;
    const x = ctx.hook(`${p}hook_resid_pre`, residual); // [batch, pos, d_model]
    const attnOut = ctx.hook(`${p}hook_attn_out`, this.sublayer(this.ln1, this.layout.post?.ln1, x, ctx, (input) => this.attn.forward(input, ctx, inputs, cached))); // [batch, pos, d_model]
    if (!this.mlp || !this.ln2) return ctx.hook(`${p}hook_resid_post`, ops.add(x, attnOut));
    const mlp = this.mlp;
    const mlpSublayer = (input: T) => this.sublayer(this.ln2!, this.layout.post?.ln2, input, ctx, (normed) => mlp.forward(normed, ctx));
    if (this.layout.parallelResidual) {
      const parallelMlpOut = ctx.hook(`${p}hook_mlp_out`, mlpSublayer(x)); // [batch, pos, d_model]
      return ctx.hook(`${p}hook_resid_post`, ops.add(ops.add(x, attnOut), parallelMlpOut)); // [batch, pos, d_model]
    }
    const mid = ctx.hook(`${p}hook_resid_mid`, ops.add(x, attnOut)); // [batch, pos, d_model]
    const mlpOut = ctx.hook(`${p}hook_mlp_out`, mlpSublayer(mid)); // [batch, pos, d_model]
    return ctx.hook(`${p}hook_resid_post`, ops.add(mid, mlpOut)); // [batch, pos, d_model]
  }

  /**
   * A sublayer with its norm before it (then an optional sandwich post-norm after it), or its
   * norm after it (TransformerLens 3 hooks OLMo 2's output before its ln1 / ln2; see the
   * differences table).
   */
  private sublayer(norm: Norm<T>, postNorm: Norm<T> | undefined, input: T, ctx: HookContext<T>, apply: (x: T) => T): T {
    if (this.layout.normPlacement === 'post') return norm.forward(apply(input), ctx);
    const output = apply(norm.forward(input, ctx));
    return postNorm ? postNorm.forward(output, ctx) : output;
  }
}
