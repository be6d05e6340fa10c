import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config.ts';
import type { RunContext } from '../hooks/runContext.ts';
import { applyActivation } from './activation.ts';

export interface MlpWeights {
  W_in: tf.Tensor2D; // [d_model, d_mlp]
  W_gate?: tf.Tensor2D; // [d_model, d_mlp], gated MLPs only
  W_out: tf.Tensor2D; // [d_mlp, d_model]
  b_in?: tf.Tensor1D; // [d_mlp]
  b_out?: tf.Tensor1D; // [d_model]
}

/** Plain MLP `act(x W_in + b_in) W_out`, or gated `(act(x W_gate) * x W_in) W_out` (SwiGLU). */
export class Mlp {
  private readonly prefix: string;

  constructor(private readonly config: ModelConfig, layer: number, readonly weights: MlpWeights) {
    this.prefix = `blocks.${layer}.mlp.`;
  }

  forward(x: tf.Tensor3D, ctx: RunContext): tf.Tensor3D {
    const { dModel, dMlp, actFn } = this.config;
    const { W_in, W_gate, W_out, b_in, b_out } = this.weights;
    const [batch, pos] = x.shape;
    const p = this.prefix;
    const flat = x.reshape([batch * pos, dModel]);
    const linear = (weight: tf.Tensor2D, bias?: tf.Tensor1D) => {
      const product = tf.matMul(flat, weight);
      return (bias ? product.add(bias) : product).reshape([batch, pos, dMlp]) as tf.Tensor3D;
    };
    let post: tf.Tensor3D;
    if (W_gate) {
      const pre = ctx.hook(`${p}hook_pre`, linear(W_gate)); // [batch, pos, d_mlp]
      const preLinear = ctx.hook(`${p}hook_pre_linear`, linear(W_in, b_in)); // [batch, pos, d_mlp]
      post = ctx.hook(`${p}hook_post`, applyActivation(actFn, pre).mul(preLinear) as tf.Tensor3D); // [batch, pos, d_mlp]
    } else {
      const pre = ctx.hook(`${p}hook_pre`, linear(W_in, b_in)); // [batch, pos, d_mlp]
      post = ctx.hook(`${p}hook_post`, applyActivation(actFn, pre) as tf.Tensor3D); // [batch, pos, d_mlp]
    }
    const out = tf.matMul(post.reshape([batch * pos, dMlp]), W_out);
    return (b_out ? out.add(b_out) : out).reshape([batch, pos, dModel]) as tf.Tensor3D;
  }
}
