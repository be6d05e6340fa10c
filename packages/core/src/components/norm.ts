import type { NormType } from '../config.ts';
import type { HookContext, Ops } from '../engine/ops.ts';

/**
 * LayerNorm or RMSNorm over the last axis with TransformerLens' hook semantics: `hook_scale`
 * is [batch, pos, 1] ([batch, pos, head, 1] for a q/k norm over d_head); a LayerNorm's `hook_normalized` is after weight and bias, an
 * RMSNorm's is before its weight.
 */
export class Norm<T> {
  constructor(
    private readonly ops: Ops<T>,
    private readonly type: NormType,
    private readonly eps: number,
    readonly w: T,
    readonly b: T | undefined,
    private readonly prefix: string, // e.g. 'blocks.0.ln1.'
  ) {}

  forward(x: T, ctx: HookContext<T>): T {
    const ops = this.ops;
    if (this.type === 'layernorm') {
      const centered = ops.sub(x, ops.mean(x, -1, true));
      const scale = ctx.hook(`${this.prefix}hook_scale`, ops.sqrt(ops.add(ops.mean(ops.square(centered), -1, true), this.eps))); // [batch, pos, 1]
      const affine = ops.mul(ops.div(centered, scale), this.w);
      return ctx.hook(`${this.prefix}hook_normalized`, this.b ? ops.add(affine, this.b) : affine); // [batch, pos, d_model]
    }
    const scale = ctx.hook(`${this.prefix}hook_scale`, ops.sqrt(ops.add(ops.mean(ops.square(x), -1, true), this.eps))); // [batch, pos, 1]
    const normalized = ctx.hook(`${this.prefix}hook_normalized`, ops.div(x, scale)); // [batch, pos, d_model]
    return ops.mul(normalized, this.w);
  }
}
