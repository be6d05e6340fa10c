import type { HookContext, Ops } from '../engine/ops.ts';

export class Embed<T> {
  constructor(private readonly ops: Ops<T>, readonly W_E: T) {}

  forward(tokens: T, ctx: HookContext<T>): T {
    return ctx.hook('hook_embed', this.ops.lookupRows(this.W_E, tokens)); // [batch, pos, d_model]
  }
}

/** Learned absolute positions (GPT-2). */
export class PosEmbed<T> {
  constructor(private readonly ops: Ops<T>, readonly W_pos: T) {}

  /** `realTokens` [batch, pos, 1] (1 real, 0 pad): pads get a zero positional embedding, as TransformerLens gives them. */
  forward(positions: T, ctx: HookContext<T>, realTokens?: T): T {
    let embedding = this.ops.lookupRows(this.W_pos, positions);
    if (realTokens) embedding = this.ops.mul(embedding, realTokens);
    return ctx.hook('hook_pos_embed', embedding); // [batch, pos, d_model]
  }
}
