import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config.ts';
import type { RunContext } from '../hooks/runContext.ts';
import type { Rotary } from './rotary.ts';

export interface AttentionWeights {
  W_Q: tf.Tensor3D; // [head, d_model, d_head]
  W_K: tf.Tensor3D; // [kv_head, d_model, d_head]
  W_V: tf.Tensor3D; // [kv_head, d_model, d_head]
  W_O: tf.Tensor3D; // [head, d_head, d_model]
  b_Q?: tf.Tensor2D; // [head, d_head]
  b_K?: tf.Tensor2D; // [kv_head, d_head]
  b_V?: tf.Tensor2D; // [kv_head, d_head]
  b_O?: tf.Tensor1D; // [d_model]
}

/** What every attention layer of one forward pass shares. */
export interface AttentionInputs {
  positions: tf.Tensor2D; // [batch, pos] absolute position ids
  maskBias: tf.Tensor4D; // [batch, 1, query, key]: 0 where allowed, -Infinity where masked
  /** Some query rows may have no key to attend to (padding); their pattern becomes 0, as TL does. */
  hasPadding: boolean;
}

/** Keys and values of earlier positions, kept between generation steps. */
export interface LayerKeyValues {
  keys?: tf.Tensor4D; // [batch, past, kv_head, d_head], after rotary
  values?: tf.Tensor4D; // [batch, past, kv_head, d_head]
}

interface FusedWeights {
  qkv: tf.Tensor2D; // [d_model, (head + 2 kv_head) d_head]
  qkvBias: tf.Tensor1D | undefined;
  output: tf.Tensor2D; // [head d_head, d_model]
}

export class Attention {
  /** Built once for inference; rebuilt in every forward when training, so gradients reach W_Q, W_K, W_V. */
  private readonly fused: FusedWeights | undefined;
  private readonly prefix: string;

  constructor(
    private readonly config: ModelConfig,
    layer: number,
    readonly weights: AttentionWeights,
    private readonly rotary: Rotary | undefined,
    trainable = false,
  ) {
    this.prefix = `blocks.${layer}.attn.`;
    this.fused = trainable ? undefined : tf.tidy(() => {
      const fused = this.fuse();
      return { ...fused, qkv: tf.keep(fused.qkv), output: tf.keep(fused.output), qkvBias: fused.qkvBias && tf.keep(fused.qkvBias) };
    });
  }

  /** One fused matmul for Q, K and V: fewer, larger kernels are what the WASM backend is fast at. */
  private fuse(): FusedWeights {
    const { dModel, nHeads, nKvHeads, dHead } = this.config;
    const { W_Q, W_K, W_V, W_O, b_Q, b_K, b_V } = this.weights;
    const flatten = (w: tf.Tensor3D, heads: number) => w.transpose([1, 0, 2]).reshape([dModel, heads * dHead]);
    const qkv = tf.concat([flatten(W_Q, nHeads), flatten(W_K, nKvHeads), flatten(W_V, nKvHeads)], 1) as tf.Tensor2D;
    const qkvBias = b_Q || b_K || b_V
      ? tf.concat([
          b_Q ? b_Q.reshape([-1]) : tf.zeros([nHeads * dHead]),
          b_K ? b_K.reshape([-1]) : tf.zeros([nKvHeads * dHead]),
          b_V ? b_V.reshape([-1]) : tf.zeros([nKvHeads * dHead]),
        ]) as tf.Tensor1D
      : undefined;
    return { qkv, qkvBias, output: W_O.reshape([nHeads * dHead, dModel]) };
  }

  forward(x: tf.Tensor3D, ctx: RunContext, inputs: AttentionInputs, cached?: LayerKeyValues): tf.Tensor3D {
    const { nHeads, nKvHeads, dHead, dModel } = this.config;
    const [batch, pos] = x.shape;
    const p = this.prefix;
    const fused = this.fused ?? this.fuse();
    let qkv = tf.matMul(x.reshape([batch * pos, dModel]), fused.qkv);
    if (fused.qkvBias) qkv = qkv.add(fused.qkvBias);
    const [qFlat, kFlat, vFlat] = tf.split(qkv, [nHeads * dHead, nKvHeads * dHead, nKvHeads * dHead], 1);
    let q = ctx.hook(`${p}hook_q`, qFlat.reshape([batch, pos, nHeads, dHead]) as tf.Tensor4D); // [batch, pos, head, d_head]
    let k = ctx.hook(`${p}hook_k`, kFlat.reshape([batch, pos, nKvHeads, dHead]) as tf.Tensor4D); // [batch, pos, kv_head, d_head]
    let v = ctx.hook(`${p}hook_v`, vFlat.reshape([batch, pos, nKvHeads, dHead]) as tf.Tensor4D); // [batch, pos, kv_head, d_head]
    if (this.rotary) {
      q = ctx.hook(`${p}hook_rot_q`, this.rotary.apply(q, inputs.positions)); // [batch, pos, head, d_head]
      k = ctx.hook(`${p}hook_rot_k`, this.rotary.apply(k, inputs.positions)); // [batch, pos, kv_head, d_head]
    }
    if (cached) {
      const previous = [cached.keys, cached.values].filter((t): t is tf.Tensor4D => t !== undefined);
      if (cached.keys && cached.values) {
        k = tf.concat([cached.keys, k], 1);
        v = tf.concat([cached.values, v], 1);
      }
      cached.keys = tf.keep(k);
      cached.values = tf.keep(v);
      tf.dispose(previous);
    }
    const queries = q.transpose([0, 2, 1, 3]); // [batch, head, query, d_head]
    const keys = repeatKeyValueHeads(k.transpose([0, 2, 1, 3]) as tf.Tensor4D, nHeads / nKvHeads); // [batch, head, key, d_head]
    const values = repeatKeyValueHeads(v.transpose([0, 2, 1, 3]) as tf.Tensor4D, nHeads / nKvHeads);
    const scaled = tf.matMul(queries, keys, false, true).mul(1 / Math.sqrt(dHead)).add(inputs.maskBias);
    const scores = ctx.hook(`${p}hook_attn_scores`, scaled as tf.Tensor4D); // [batch, head, query, key]
    let pattern = tf.softmax(scores);
    if (inputs.hasPadding) pattern = tf.where(tf.isNaN(pattern), tf.zerosLike(pattern), pattern);
    pattern = ctx.hook(`${p}hook_pattern`, pattern as tf.Tensor4D); // [batch, head, query, key]
    const z = ctx.hook(`${p}hook_z`, tf.matMul(pattern, values).transpose([0, 2, 1, 3]) as tf.Tensor4D); // [batch, pos, head, d_head]
    let out: tf.Tensor;
    if (ctx.wants(`${p}hook_result`)) {
      // Per-head outputs cost an extra d_model per head, so only when someone asked.
      const perHead = tf.matMul(z.transpose([2, 0, 1, 3]).reshape([nHeads, batch * pos, dHead]), this.weights.W_O);
      const result = ctx.hook(`${p}hook_result`, perHead.reshape([nHeads, batch, pos, dModel]).transpose([1, 2, 0, 3]) as tf.Tensor4D); // [batch, pos, head, d_model]
      out = result.sum(2);
    } else {
      out = tf.matMul(z.reshape([batch * pos, nHeads * dHead]), fused.output).reshape([batch, pos, dModel]);
    }
    return (this.weights.b_O ? out.add(this.weights.b_O) : out) as tf.Tensor3D;
  }

  dispose(): void {
    if (this.fused) tf.dispose([this.fused.qkv, this.fused.output, ...(this.fused.qkvBias ? [this.fused.qkvBias] : [])]);
  }
}

/** Grouped-query attention: each key/value head serves `groups` consecutive query heads. */
function repeatKeyValueHeads(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return x;
  const [batch, heads, positions, dHead] = x.shape;
  // concat rather than tile: tfjs has no gradient for a rank-5 tile.
  const expanded = x.expandDims(2);
  return tf.concat(new Array<tf.Tensor>(groups).fill(expanded), 2).reshape([batch, heads * groups, positions, dHead]) as tf.Tensor4D;
}
