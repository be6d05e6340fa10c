import * as tf from '@tensorflow/tfjs-core';
import type { AttentionWeights, FusedAttentionWeights, KeyValueStore, LayerKeyValues } from '../components/attention.ts';
import { rotaryTables } from '../components/rotary.ts';
import { Transformer } from '../components/transformer.ts';
import type { ModelConfig } from '../config.ts';
import { TfjsOps } from './tfjsOps.ts';

/**
 * Q, K and V weights side by side for one fused matmul (fewer, larger kernels are what the
 * WASM backend is fast at) and W_O flattened over heads.
 */
export function fuseAttention(config: ModelConfig, weights: AttentionWeights<tf.Tensor>): FusedAttentionWeights<tf.Tensor> {
  const { dModel, nHeads, nKvHeads, dHead } = config;
  const { W_Q, W_K, W_V, W_O, b_Q, b_K, b_V } = weights;
  const flatten = (w: tf.Tensor, heads: number) => w.transpose([1, 0, 2]).reshape([dModel, heads * dHead]);
  const qkv = tf.concat([flatten(W_Q, nHeads), flatten(W_K, nKvHeads), flatten(W_V, nKvHeads)], 1);
  const qkvBias = b_Q || b_K || b_V
    ? tf.concat([
        b_Q ? b_Q.reshape([-1]) : tf.zeros([nHeads * dHead]),
        b_K ? b_K.reshape([-1]) : tf.zeros([nKvHeads * dHead]),
        b_V ? b_V.reshape([-1]) : tf.zeros([nKvHeads * dHead]),
      ])
    : undefined;
  return { qkv, qkvBias, output: W_O.reshape([nHeads * dHead, dModel]) };
}

/** Keys and values kept (tf.keep) across generation steps; each step frees the previous ones. */
const keepKeyValues: KeyValueStore<tf.Tensor> = {
  extend(cached: LayerKeyValues<tf.Tensor>, k: tf.Tensor, v: tf.Tensor) {
    const previous = [cached.keys, cached.values].filter((t): t is tf.Tensor => t !== undefined);
    let keys = k;
    let values = v;
    if (cached.keys && cached.values) {
      keys = tf.concat([cached.keys, k], 1);
      values = tf.concat([cached.values, v], 1);
    }
    cached.keys = tf.keep(keys);
    cached.values = tf.keep(values);
    tf.dispose(previous);
    return { keys, values };
  },
};

/** The component tree on tfjs tensors, with what it allocated beyond the weights. */
export interface TfjsTransformer {
  transformer: Transformer<tf.Tensor>;
  ops: TfjsOps;
  /** Fused attention weights and rotary tables, freed with `dispose`. */
  dispose(): void;
}

/**
 * @param trainable the weights are variables: fused weights are rebuilt in every forward
 * (so gradients reach W_Q, W_K, W_V) and row lookups are differentiable.
 * @param unembedByEmbed the unembedding multiplies by W_E (a tied W_U that is only a view).
 */
export function buildTfjsTransformer(config: ModelConfig, parameter: (name: string) => tf.Tensor | undefined, trainable: boolean, unembedByEmbed: boolean): TfjsTransformer {
  const ops = new TfjsOps(trainable);
  const owned: tf.Tensor[] = [];
  const tablesAt = (base: number) => {
    const tables = rotaryTables(config.nCtx, config.rotaryDim, base);
    const pair = { cos: tf.keep(tf.tensor2d(tables.cos, tables.shape)), sin: tf.keep(tf.tensor2d(tables.sin, tables.shape)) };
    owned.push(pair.cos, pair.sin);
    return pair;
  };
  const rotary = config.positional === 'rotary' ? tablesAt(config.rotaryBase) : undefined;
  const rotaryLocal = config.positional === 'rotary' && config.rotaryBaseLocal !== undefined ? tablesAt(config.rotaryBaseLocal) : undefined;
  const transformer = new Transformer(ops, config, {
    parameter,
    rotary,
    rotaryLocal,
    fused: (_, weights) => {
      if (trainable) return undefined;
      // Kept: the tree may be built inside a forward pass' tf.tidy.
      const { qkv, output, qkvBias } = tf.tidy(() => ({ ...fuseAttention(config, weights) })) as FusedAttentionWeights<tf.Tensor>;
      tf.keep(qkv);
      tf.keep(output);
      if (qkvBias) tf.keep(qkvBias);
      owned.push(qkv, output, ...(qkvBias ? [qkvBias] : []));
      return { qkv, output, qkvBias };
    },
    fuse: (_, weights) => fuseAttention(config, weights),
    keyValueStore: keepKeyValues,
    unembedByEmbed,
  });
  return { transformer, ops, dispose: () => tf.dispose(owned) };
}
