import type { HookContext, Ops } from '../engine/ops.ts';

export class Embed<T> {
  /** @param scale multiplies the rows before hook_embed (Gemma's √d_model; TransformerLens folds it into its W_E). */
  constructor(private readonly ops: Ops<T>, readonly W_E: T, private readonly scale?: number) {}

  forward(tokens: T, ctx: HookContext<T>): T {
    const rows = this.ops.lookupRows(this.W_E, tokens);
    return ctx.hook('hook_embed', this.scale === undefined ? rows : this.ops.mul(rows, this.scale)); // [batch, pos, d_model]
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
