import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '@hooklens/core';
import type { ModelConfig } from '@hooklens/core';
import { randomModel } from '@hooklens/core/testing';
import { directLogitAttribution } from '../src/index.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [3, 7, 2, 9, 4, 11, 6];
const sum = (values: number[]) => values.reduce((a, v) => a + v, 0);

/** The model's own logit (difference) at one position, from a plain forward pass. */
function modelLogitDifference(model: HookedTransformer, position: number, answer: number, wrong?: number): number {
  const logits = model.forward([tokens]);
  const row = (logits.arraySync() as number[][][])[0][position];
  logits.dispose();
  return wrong === undefined ? row[answer] : row[answer] - row[wrong];
}

/**
 * One head's direct effect by hand, in float64 from the cached hook_result: (post-norm models:
 * through ln1 at its cached scale, times ln1.w), centre (LayerNorm), divide by the cached final
 * scale, times ln_final.w, dot W_U[:, answer] − W_U[:, wrong].
 */
function headByHand(model: HookedTransformer, layer: number, head: number, position: number, answer: number, wrong: number): number {
  const { nHeads, dModel, dVocab, normType } = model.config;
  const post = model.config.normPlacement === 'post';
  const { logits, cache } = model.runWithCache([tokens], { names: [`blocks.${layer}.attn.hook_result`, 'ln_final.hook_scale', ...(post ? [`blocks.${layer}.ln1.hook_scale` as const] : [])] });
  const host = cache.toArrays();
  logits.dispose();
  cache.dispose();
  const offset = (position * nHeads + head) * dModel;
  let x = Array.from(host[`blocks.${layer}.attn.hook_result`].data.subarray(offset, offset + dModel));
  if (post) {
    const ln1 = model.weights.get(`blocks.${layer}.ln1.w`)!.data;
    x = x.map((v, d) => (v / host[`blocks.${layer}.ln1.hook_scale`].data[position]) * ln1[d]);
  }
  const mean = normType === 'layernorm' ? sum(x) / dModel : 0;
  const scale = host['ln_final.hook_scale'].data[position];
  const w = model.weights.get('ln_final.w')!.data;
  const W_U = model.weights.get('unembed.W_U')!.data;
  return sum(x.map((v, d) => ((v - mean) / scale) * w[d] * (W_U[d * dVocab + answer] - W_U[d * dVocab + wrong])));
}

describe.each([
  ['GPT-2-like (LayerNorm, learned positions)', {}],
  ['llama-like (RMSNorm, rotary, GQA)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
  ['attention-only', { attnOnly: true }],
  ['OLMo-2-like (norms after the sublayers, q/k norms)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', qkNorm: 'full', normPlacement: 'post' }],
] as [string, Partial<ModelConfig>][])('directLogitAttribution on a %s model', (_label, overrides) => {
  it('embeddings + heads + MLPs + biases sum to the model\'s logit difference', () => {
    const model = randomModel({ ...overrides, nLayers: 3 }, 11);
    const { nLayers, nHeads, attnOnly, positional } = model.config;
    const [answer, wrong] = [5, 13];
    const before = tf.memory().numTensors;
    const dla = directLogitAttribution(model, tokens, { answer, wrong });
    expect(tf.memory().numTensors).toBe(before);

    expect(dla.position).toBe(tokens.length - 1);
    expect(dla.total).toBeCloseTo(modelLogitDifference(model, tokens.length - 1, answer, wrong), 4);
    expect(dla.heads).toHaveLength(nLayers);
    for (const row of dla.heads) expect(row).toHaveLength(nHeads);
    const labels = ['embed', ...(positional === 'learned' ? ['pos_embed'] : [])];
    for (let l = 0; l < nLayers; l++) labels.push(`L${l} attn`, ...(attnOnly ? [] : [`L${l} mlp`]));
    expect(dla.layers.map((entry) => entry.label)).toEqual(labels);

    const value = (label: string) => dla.layers.find((entry) => entry.label === label)?.value ?? 0;
    const mlps = sum(dla.layers.filter((entry) => / mlp$/.test(entry.label)).map((entry) => entry.value));
    const parts = value('embed') + value('pos_embed') + sum(dla.heads.flat()) + mlps + dla.biases;
    expect(Math.abs(parts - dla.total)).toBeLessThan(1e-4);
    expect(Math.abs(sum(dla.layers.map((entry) => entry.value)) + dla.biasTerms.normBias + dla.biasTerms.unembedBias - dla.total)).toBeLessThan(1e-4);
    expect(dla.biases).toBeCloseTo(dla.biasTerms.attnOutBias + dla.biasTerms.normBias + dla.biasTerms.unembedBias, 6);
    // b_U is reported on its own (it does not cancel unless b_U[answer] = b_U[wrong]).
    const bU = model.weights.get('unembed.b_U')?.data;
    expect(dla.biasTerms.unembedBias).toBeCloseTo(bU ? bU[answer] - bU[wrong] : 0, 6);
    if (model.config.normType === 'rmsnorm') expect(dla.biasTerms.normBias).toBe(0);

    // Each layer's attention output = its heads + the contribution of its b_O.
    let bOTotal = 0;
    for (let l = 0; l < nLayers; l++) bOTotal += value(`L${l} attn`) - sum(dla.heads[l]);
    expect(bOTotal).toBeCloseTo(dla.biasTerms.attnOutBias, 4);

    // The layers' parts add up to ln_final.hook_normalized (before its weight and bias, as in
    // TransformerLens 3) times ln_final.w, projected on the direction; ln_final.b is normBias.
    const { dModel, dVocab } = model.config;
    const { logits, cache } = model.runWithCache([tokens], { names: ['ln_final.hook_normalized'] });
    const normalized = cache.toArrays()['ln_final.hook_normalized'].data.subarray((tokens.length - 1) * dModel, tokens.length * dModel);
    logits.dispose();
    cache.dispose();
    const w = model.weights.get('ln_final.w')!.data;
    const b = model.weights.get('ln_final.b')?.data;
    const W_U = model.weights.get('unembed.W_U')!.data;
    const direction = (d: number) => W_U[d * dVocab + answer] - W_U[d * dVocab + wrong];
    const fromHook = sum(Array.from(normalized, (n, d) => n * w[d] * direction(d)));
    expect(sum(dla.layers.map((entry) => entry.value))).toBeCloseTo(fromHook, 4);
    expect(dla.biasTerms.normBias).toBeCloseTo(b ? sum(Array.from(b, (v, d) => v * direction(d))) : 0, 5);

    // Heads, checked one by one against a float64 computation from the cache.
    for (const [layer, head] of [[0, 0], [1, 2], [2, 3]]) {
      expect(dla.heads[layer][head]).toBeCloseTo(headByHand(model, layer, head, tokens.length - 1, answer, wrong), 4);
    }
    model.dispose();
  });

  it('attributes a single logit at a chosen position', () => {
    const model = randomModel(overrides, 4);
    const dla = directLogitAttribution(model, tokens, { answer: 8, position: 2 });
    expect(dla.position).toBe(2);
    expect(dla.total).toBeCloseTo(modelLogitDifference(model, 2, 8), 4);
    const value = (label: string) => dla.layers.find((entry) => entry.label === label)?.value ?? 0;
    const mlps = sum(dla.layers.filter((entry) => / mlp$/.test(entry.label)).map((entry) => entry.value));
    expect(Math.abs(value('embed') + value('pos_embed') + sum(dla.heads.flat()) + mlps + dla.biases - dla.total)).toBeLessThan(1e-4);
    expect(directLogitAttribution(model, tokens, { answer: 8, position: -5 }).total).toBeCloseTo(dla.total, 5);
    model.dispose();
  });
});

describe('directLogitAttribution', () => {
  it('without b_U or ln_final.b the bias terms are 0 and the parts still sum to the total', () => {
    const base = randomModel({}, 2);
    const weights = new Map(base.weights);
    weights.delete('unembed.b_U');
    weights.delete('ln_final.b');
    const model = new HookedTransformer(base.config, weights);
    const dla = directLogitAttribution(model, tokens, { answer: 7, wrong: 2 });
    expect(dla.biasTerms.unembedBias).toBe(0);
    expect(dla.biasTerms.normBias).toBe(0);
    expect(dla.total).toBeCloseTo(modelLogitDifference(model, tokens.length - 1, 7, 2), 4);
    const value = (label: string) => dla.layers.find((entry) => entry.label === label)?.value ?? 0;
    const mlps = sum(dla.layers.filter((entry) => / mlp$/.test(entry.label)).map((entry) => entry.value));
    expect(Math.abs(value('embed') + value('pos_embed') + sum(dla.heads.flat()) + mlps + dla.biases - dla.total)).toBeLessThan(1e-4);
    model.dispose();
    base.dispose();
  });

  it('rejects bad input with one clear line', () => {
    const model = randomModel();
    expect(() => directLogitAttribution(model, [], { answer: 1 })).toThrow('directLogitAttribution needs one prompt of at least one token id');
    expect(() => directLogitAttribution(model, tokens, { answer: 23 })).toThrow('answer token id 23 is out of range [0, 23)');
    expect(() => directLogitAttribution(model, tokens, { answer: 1, wrong: -1 })).toThrow('wrong token id -1 is out of range [0, 23)');
    expect(() => directLogitAttribution(model, tokens, { answer: 1, position: 7 })).toThrow("position 7 is outside the prompt's 7 tokens");
    model.dispose();
  });
});
