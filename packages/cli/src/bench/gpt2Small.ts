import { seededRandom, transpose2d } from '@hooklens/core';
import type { ModelConfig, WeightMap } from '@hooklens/core';

/** GPT-2 small's shape: 12 layers, d_model 768, 12 heads, d_mlp 3072, vocab 50257, n_ctx 1024. */
export const GPT2_SMALL: ModelConfig = {
  family: 'gpt2',
  dModel: 768,
  nLayers: 12,
  nHeads: 12,
  nKvHeads: 12,
  dHead: 64,
  dMlp: 3072,
  dVocab: 50257,
  nCtx: 1024,
  actFn: 'gelu_new',
  gatedMlp: false,
  normType: 'layernorm',
  eps: 1e-5,
  positional: 'learned',
  rotaryBase: 10000,
  rotaryDim: 64,
  rotaryPairing: 'half',
  tiedEmbeddings: true,
  attnOnly: false,
  defaultPrependBos: true,
  bosTokenId: 50256,
  eosTokenId: 50256,
};

/**
 * Random weights in canonical names (see core weights.ts), built in memory: timing does not
 * depend on the values, and skipping a 500 MB file keeps the bench quick and disk-free.
 */
export function randomWeights(config: ModelConfig, seed = 0): WeightMap {
  const { dModel: d, nHeads, nKvHeads, dHead, dMlp, dVocab, nCtx } = config;
  const random = seededRandom(seed);
  const weights: WeightMap = new Map();
  const add = (name: string, shape: number[], scale = 0.02, offset = 0) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = offset + scale * (2 * random() - 1);
    weights.set(name, { shape, data });
  };
  add('embed.W_E', [dVocab, d]);
  add('pos_embed.W_pos', [nCtx, d]);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const b = `blocks.${layer}`;
    add(`${b}.ln1.w`, [d], 0.1, 1);
    add(`${b}.ln1.b`, [d]);
    add(`${b}.attn.W_Q`, [nHeads, d, dHead]);
    add(`${b}.attn.W_K`, [nKvHeads, d, dHead]);
    add(`${b}.attn.W_V`, [nKvHeads, d, dHead]);
    add(`${b}.attn.W_O`, [nHeads, dHead, d]);
    add(`${b}.attn.b_Q`, [nHeads, dHead]);
    add(`${b}.attn.b_K`, [nKvHeads, dHead]);
    add(`${b}.attn.b_V`, [nKvHeads, dHead]);
    add(`${b}.attn.b_O`, [d]);
    add(`${b}.ln2.w`, [d], 0.1, 1);
    add(`${b}.ln2.b`, [d]);
    add(`${b}.mlp.W_in`, [d, dMlp]);
    add(`${b}.mlp.b_in`, [dMlp]);
    add(`${b}.mlp.W_out`, [dMlp, d]);
    add(`${b}.mlp.b_out`, [d]);
  }
  add('ln_final.w', [d], 0.1, 1);
  add('ln_final.b', [d]);
  // Tied like GPT-2: the unembedding is W_E transposed (and counts once in numParams).
  weights.set('unembed.W_U', transpose2d(weights.get('embed.W_E')!));
  return weights;
}
