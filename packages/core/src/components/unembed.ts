import type { Ops } from '../engine/ops.ts';

export class Unembed<T> {
  /**
   * @param weight W_U [d_model, d_vocab]; or, for a tied model, W_E [d_vocab, d_model] itself,
   * multiplied transposed so the embedding is held once.
   */
  constructor(private readonly ops: Ops<T>, readonly weight: T, readonly b_U: T | undefined, private readonly tied: boolean) {}

  forward(x: T): T {
    const ops = this.ops;
    const [batch, pos, dModel] = ops.shape(x);
    const logits = ops.matMul(ops.reshape(x, [batch * pos, dModel]), this.weight, false, this.tied);
    const dVocab = ops.shape(this.weight)[this.tied ? 0 : 1]!;
    return ops.reshape(this.b_U ? ops.add(logits, this.b_U) : logits, [batch, pos, dVocab]); // [batch, pos, d_vocab]
  }
}
