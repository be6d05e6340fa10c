import type { NormType } from '../config.ts';
import type { HookContext, Ops } from '../engine/ops.ts';

/**
 * LayerNorm or RMSNorm over the last axis with TransformerLens 3's hook semantics
 * (components/layer_norm.py, rms_norm.py): `hook_scale` is [batch, pos, 1] ([batch, pos,
 * head, 1] for a q/k norm over d_head); `hook_normalized` is the input divided by that scale
 * (centred first for LayerNorm), before the weight and bias, for both kinds.
 * TransformerLens 2.x took a LayerNorm's `hook_normalized` after weight and bias.
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
      const normalized = ctx.hook(`${this.prefix}hook_normalized`, ops.div(centered, scale)); // [batch, pos, d_model]
      const affine = ops.mul(normalized, this.w);
      return this.b ? ops.add(affine, this.b) : affine;
    }
    const scale = ctx.hook(`${this.prefix}hook_scale`, ops.sqrt(ops.add(ops.mean(ops.square(x), -1, true), this.eps))); // [batch, pos, 1]
    const normalized = ctx.hook(`${this.prefix}hook_normalized`, ops.div(x, scale)); // [batch, pos, d_model]
    return ops.mul(normalized, this.w);
  }
}
