import type { Ops } from '../engine/ops.ts';

export class Unembed<T> {
  constructor(private readonly ops: Ops<T>, readonly W_U: T, readonly b_U: T | undefined) {}

  forward(x: T): T {
    const ops = this.ops;
    const [batch, pos, dModel] = ops.shape(x);
    const logits = ops.matMul(ops.reshape(x, [batch * pos, dModel]), this.W_U);
    return ops.reshape(this.b_U ? ops.add(logits, this.b_U) : logits, [batch, pos, ops.shape(this.W_U)[1]]); // [batch, pos, d_vocab]
  }
}
