import type { ModelConfig } from '../config.ts';
import type { HookContext, Ops } from '../engine/ops.ts';
import type { Norm } from './norm.ts';
import type { Rotary } from './rotary.ts';

export interface AttentionWeights<T> {
  W_Q: T; // [head, d_model, d_head]
  W_K: T; // [kv_head, d_model, d_head]
  W_V: T; // [kv_head, d_model, d_head]
  W_O: T; // [head, d_head, d_model]
  b_Q?: T; // [head, d_head]
  b_K?: T; // [kv_head, d_head]
  b_V?: T; // [kv_head, d_head]
  b_O?: T; // [d_model]
}

/** What every attention layer of one forward pass shares. */
export interface AttentionInputs<T> {
  positions: T; // [batch, pos] absolute position ids
  maskBias: T; // [batch, 1, query, key]: 0 where allowed, -Infinity where masked
  /** maskBias with the keys outside the sliding window masked too; for local layers (config.attnTypes). */
  localMaskBias?: T; // [batch, 1, query, key]
  /** Some query rows may have no key to attend to (padding); their pattern becomes 0, as TL does. */
  hasPadding: boolean;
}

/** Keys and values of earlier positions, kept between generation steps. */
export interface LayerKeyValues<T> {
  keys?: T; // [batch, past, kv_head, d_head], after rotary
  values?: T; // [batch, past, kv_head, d_head]
}

/** How an engine keeps a layer's keys and values between generation steps. */
export interface KeyValueStore<T> {
  /** Appends this step's keys and values to the layer's and returns all of them. */
  extend(cached: LayerKeyValues<T>, keys: T, values: T): { keys: T; values: T };
}

/** Q, K and V weights side by side, for one matmul; W_O flattened over heads. */
export interface FusedAttentionWeights<T> {
  qkv: T; // [d_model, (head + 2 kv_head) d_head]
  qkvBias: T | undefined; // [(head + 2 kv_head) d_head]
  output: T; // [head d_head, d_model]
}

export class Attention<T> {
  private readonly prefix: string;
  private readonly local: boolean;

  /**
   * @param fused the fused weights, built once for inference; without them they are rebuilt
   * by `fuse` in every forward (training, so gradients reach W_Q, W_K, W_V).
   */
  constructor(
    private readonly ops: Ops<T>,
    private readonly config: ModelConfig,
    layer: number,
    readonly weights: AttentionWeights<T>,
    private readonly rotary: Rotary<T> | undefined,
    private readonly fused: FusedAttentionWeights<T> | undefined,
    private readonly fuse: () => FusedAttentionWeights<T>,
    private readonly keyValueStore?: KeyValueStore<T>,
    /** `attn.q_norm` / `attn.k_norm` when config.qkNorm is set. */
    readonly qkNorms?: { q: Norm<T>; k: Norm<T> },
  ) {
    this.prefix = `blocks.${layer}.attn.`;
    this.local = config.attnTypes?.[layer] === 'local';
  }

  forward(x: T, ctx: HookContext<T>, inputs: AttentionInputs<T>, cached?: LayerKeyValues<T>): T {
    const ops = this.ops;
    const { nHeads, nKvHeads, dHead, dModel } = this.config;
    const [batch, pos] = ops.shape(x);
    const p = this.prefix;
    const fused = this.fused ?? this.fuse();
    let qkv = ops.matMul(ops.reshape(x, [batch * pos, dModel]), fused.qkv);
    if (fused.qkvBias) qkv = ops.add(qkv, fused.qkvBias);
    const [qFlat, kFlat, vFlat] = ops.split(qkv, [nHeads * dHead, nKvHeads * dHead, nKvHeads * dHead], 1);
    let q = ctx.hook(`${p}hook_q`, ops.reshape(qFlat, [batch, pos, nHeads, dHead])); // [batch, pos, head, d_head]
    let k = ctx.hook(`${p}hook_k`, ops.reshape(kFlat, [batch, pos, nKvHeads, dHead])); // [batch, pos, kv_head, d_head]
    let v = ctx.hook(`${p}hook_v`, ops.reshape(vFlat, [batch, pos, nKvHeads, dHead])); // [batch, pos, kv_head, d_head]
    if (this.qkNorms) {
      // As TransformerLens 3 does: hook_q / hook_k hold the raw projections, the norms come
      // after them and before rotary (so hook_rot_q / hook_rot_k and the cached keys are normed).
      q = this.normalizeHeads(this.qkNorms.q, q, ctx);
      k = this.normalizeHeads(this.qkNorms.k, k, ctx);
    }
    if (this.rotary) {
      q = ctx.hook(`${p}hook_rot_q`, this.rotary.apply(q, inputs.positions)); // [batch, pos, head, d_head]
      k = ctx.hook(`${p}hook_rot_k`, this.rotary.apply(k, inputs.positions)); // [batch, pos, kv_head, d_head]
    }
    if (cached) {
      if (!this.keyValueStore) throw new Error('this engine keeps no key/value cache');
      ({ keys: k, values: v } = this.keyValueStore.extend(cached, k, v));
    }
    const queries = ops.transpose(q, [0, 2, 1, 3]); // [batch, head, query, d_head]
    const keys = repeatKeyValueHeads(ops, ops.transpose(k, [0, 2, 1, 3]), nHeads / nKvHeads); // [batch, head, key, d_head]
    const values = repeatKeyValueHeads(ops, ops.transpose(v, [0, 2, 1, 3]), nHeads / nKvHeads);
    let raw = ops.mul(ops.matMul(queries, keys, false, true), 1 / (this.config.attnScale ?? Math.sqrt(dHead)));
    const cap = this.config.attnScoresSoftCap;
    if (cap !== undefined) raw = ops.mul(ops.tanh(ops.mul(raw, 1 / cap)), cap);
    const maskBias = this.local ? inputs.localMaskBias : inputs.maskBias;
    if (maskBias === undefined) throw new Error(`${p}: a local attention layer needs the sliding-window mask (localMaskBias)`);
    const scores = ctx.hook(`${p}hook_attn_scores`, ops.add(raw, maskBias)); // [batch, head, query, key]
    let pattern = ops.softmax(scores);
    if (inputs.hasPadding) pattern = ops.nanToZero(pattern);
    pattern = ctx.hook(`${p}hook_pattern`, pattern); // [batch, head, query, key]
    const z = ctx.hook(`${p}hook_z`, ops.transpose(ops.matMul(pattern, values), [0, 2, 1, 3])); // [batch, pos, head, d_head]
    let out: T;
    if (ctx.wants(`${p}hook_result`)) {
      // Per-head outputs cost an extra d_model per head, so only when someone asked.
      const perHead = ops.matMul(ops.reshape(ops.transpose(z, [2, 0, 1, 3]), [nHeads, batch * pos, dHead]), this.weights.W_O);
      const result = ctx.hook(`${p}hook_result`, ops.transpose(ops.reshape(perHead, [nHeads, batch, pos, dModel]), [1, 2, 0, 3])); // [batch, pos, head, d_model]
      out = ops.sum(result, 2);
    } else {
      out = ops.reshape(ops.matMul(ops.reshape(z, [batch * pos, nHeads * dHead]), fused.output), [batch, pos, dModel]);
    }
    return this.weights.b_O ? ops.add(out, this.weights.b_O) : out;
  }

  /** x [batch, pos, heads, d_head] through a q/k norm over each head's d_head, or over all heads at once. */
  private normalizeHeads(norm: Norm<T>, x: T, ctx: HookContext<T>): T {
    if (this.config.qkNorm === 'head') return norm.forward(x, ctx);
    const ops = this.ops;
    const [batch, pos, heads, dHead] = ops.shape(x);
    return ops.reshape(norm.forward(ops.reshape(x, [batch, pos, heads * dHead]), ctx), [batch, pos, heads, dHead]);
  }
}

/** Grouped-query attention: each key/value head serves `groups` consecutive query heads. */
function repeatKeyValueHeads<T>(ops: Ops<T>, x: T, groups: number): T {
  if (groups === 1) return x;
  const [batch, heads, positions, dHead] = ops.shape(x);
  // concat rather than tile: tfjs has no gradient for a rank-5 tile.
  const expanded = ops.expandDims(x, 2);
  return ops.reshape(ops.concat(new Array<T>(groups).fill(expanded), 2), [batch, heads * groups, positions, dHead]);
}
