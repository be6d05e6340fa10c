import type { ModelConfig } from '../config.ts';
import type { HookContext, Ops } from '../engine/ops.ts';
import { applyActivation } from './activation.ts';

export interface MlpWeights<T> {
  W_in: T; // [d_model, d_mlp]
  W_gate?: T; // [d_model, d_mlp], gated MLPs only
  W_out: T; // [d_mlp, d_model]
  b_in?: T; // [d_mlp]
  b_out?: T; // [d_model]
}

/** Plain MLP `act(x W_in + b_in) W_out`, or gated `(act(x W_gate) * x W_in) W_out` (SwiGLU). */
export class Mlp<T> {
  private readonly prefix: string;

  constructor(private readonly ops: Ops<T>, private readonly config: ModelConfig, layer: number, readonly weights: MlpWeights<T>) {
    this.prefix = `blocks.${layer}.mlp.`;
  }

  forward(x: T, ctx: HookContext<T>): T {
    const ops = this.ops;
    const { dModel, dMlp, actFn } = this.config;
    const { W_in, W_gate, W_out, b_in, b_out } = this.weights;
    const [batch, pos] = ops.shape(x);
    const p = this.prefix;
    const flat = ops.reshape(x, [batch * pos, dModel]);
    const linear = (weight: T, bias?: T) => {
      const product = ops.matMul(flat, weight);
      return ops.reshape(bias ? ops.add(product, bias) : product, [batch, pos, dMlp]);
    };
    let post: T;
    if (W_gate) {
      const pre = ctx.hook(`${p}hook_pre`, linear(W_gate)); // [batch, pos, d_mlp]
      const preLinear = ctx.hook(`${p}hook_pre_linear`, linear(W_in, b_in)); // [batch, pos, d_mlp]
      post = ctx.hook(`${p}hook_post`, ops.mul(applyActivation(ops, actFn, pre), preLinear)); // [batch, pos, d_mlp]
    } else {
      const pre = ctx.hook(`${p}hook_pre`, linear(W_in, b_in)); // [batch, pos, d_mlp]
      post = ctx.hook(`${p}hook_post`, applyActivation(ops, actFn, pre)); // [batch, pos, d_mlp]
    }
    const out = ops.matMul(ops.reshape(post, [batch * pos, dMlp]), W_out);
    return ops.reshape(b_out ? ops.add(out, b_out) : out, [batch, pos, dModel]);
  }
}
