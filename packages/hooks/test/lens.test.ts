import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '@hooklens/core';
import type { ModelConfig } from '@hooklens/core';
import { randomModel, randomWeights, tinyConfig } from '@hooklens/core/testing';
import { logitLens } from '../src/index.ts';
import type { LogitLensResult } from '../src/index.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [3, 7, 2, 9, 4, 11, 6];

/**
 * The logit lens by hand, in float64 JS: each cached residual through the final norm
 * (statistics from the residual itself), W_U and b_U, then a softmax. [layer][pos][vocab].
 */
function lensByHand(model: HookedTransformer, ids: number[]): { logits: number[][][]; probs: number[][][] } {
  const { nLayers, dModel, dVocab, normType, eps } = model.config;
  const names = [...Array.from({ length: nLayers }, (_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${nLayers - 1}.hook_resid_post`];
  const { logits: modelLogits, cache } = model.runWithCache([ids], { names: (name: string) => names.includes(name) });
  const host = cache.toArrays();
  modelLogits.dispose();
  cache.dispose();
  const w = model.weights.get('ln_final.w')!.data;
  const b = model.weights.get('ln_final.b')?.data;
  const W_U = model.weights.get('unembed.W_U')!.data;
  const bU = model.weights.get('unembed.b_U')?.data;
  const logits = names.map((name) => ids.map((_, p) => {
    const x = Array.from(host[name].data.subarray(p * dModel, (p + 1) * dModel));
    const mean = normType === 'layernorm' ? x.reduce((a, v) => a + v, 0) / dModel : 0;
    const centred = x.map((v) => v - mean);
    const scale = Math.sqrt(centred.reduce((a, v) => a + v * v, 0) / dModel + eps);
    const normed = centred.map((v, d) => (v / scale) * w[d] + (b ? b[d] : 0));
    return Array.from({ length: dVocab }, (_, t) => {
      let total = bU ? bU[t] : 0;
      for (let d = 0; d < dModel; d++) total += normed[d] * W_U[d * dVocab + t];
      return total;
    });
  }));
  const probs = logits.map((layer) => layer.map(softmax));
  return { logits, probs };
}

/** Every cell of `lens` (its first `rows` layers) against the hand lens: top-k, entropy, KL to the final row, the target. */
function expectLensEqualsHand(lens: LogitLensResult, hand: { logits: number[][][]; probs: number[][][] }, rows: number, topK: number, target: number): void {
  const final = hand.probs[hand.probs.length - 1];
  expect(lens.top).toHaveLength(rows);
  for (let layer = 0; layer < rows; layer++) {
    expect(lens.top[layer]).toHaveLength(tokens.length);
    for (let p = 0; p < tokens.length; p++) {
      const probs = hand.probs[layer][p];
      const order = probs.map((prob, id) => ({ prob, id })).sort((a, b) => b.prob - a.prob);
      const top = lens.top[layer][p];
      expect(top).toHaveLength(topK);
      top.forEach((entry, k) => {
        expect(entry.prob).toBeCloseTo(order[k].prob, 5);
        expect(probs[entry.id]).toBeCloseTo(order[k].prob, 5); // ids agree up to exact ties
        expect(entry.token).toBe(`#${entry.id}`);
      });
      const entropy = -probs.reduce((a, q) => a + (q > 0 ? q * Math.log(q) : 0), 0);
      expect(lens.entropy[layer][p]).toBeCloseTo(entropy, 4);
      const kl = final[p].reduce((a, q, id) => a + q * (Math.log(q) - Math.log(probs[id])), 0);
      expect(lens.klToFinal[layer][p]).toBeCloseTo(kl, 4);
      const cell = lens.target![layer][p];
      const logits = hand.logits[layer][p];
      expect(cell.logit).toBeCloseTo(logits[target], 4);
      expect(cell.prob).toBeCloseTo(probs[target], 5);
      expect(cell.rank).toBe(logits.filter((v) => v > logits[target]).length);
    }
  }
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, v) => a + v, 0);
  return exps.map((v) => v / total);
}

describe.each([
  ['LayerNorm (gpt2-like)', {}],
  ['RMSNorm (llama-like)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
] as [string, Partial<ModelConfig>][])('logitLens on a %s model', (_label, overrides) => {
  it('equals unembedding each cached residual by hand; the final row is the model\'s own softmax', () => {
    const model = randomModel({ ...overrides, nLayers: 3 }, 7);
    const { nLayers, dVocab } = model.config;
    const before = tf.memory().numTensors;
    const topK = 4;
    const lens = logitLens(model, tokens, { topK, target: 5 });
    expect(tf.memory().numTensors).toBe(before);

    expect(lens.layers).toEqual(['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre', 'blocks.2.hook_resid_pre', 'blocks.2.hook_resid_post']);
    expect(lens.positions).toEqual(tokens.map((id) => `#${id}`)); // no tokenizer
    expect(lens.tokenIds).toEqual(tokens);
    expectLensEqualsHand(lens, lensByHand(model, tokens), nLayers + 1, topK, 5);
    expect(lens.klToFinal[nLayers].every((v) => Math.abs(v) < 1e-5)).toBe(true);

    // The final row is the model's own next-token distribution.
    const own = tf.tidy(() => tf.softmax(model.forward([tokens])).arraySync() as number[][][]);
    for (let p = 0; p < tokens.length; p++) {
      for (const entry of lens.top[nLayers][p]) expect(entry.prob).toBeCloseTo(own[0][p][entry.id], 5);
      expect(lens.target![nLayers][p].prob).toBeCloseTo(own[0][p][5], 5);
    }
    expect(dVocab).toBe(23);
    model.dispose();
  });

  it('reads long prompts in chunks of positions: any chunk budget gives the hand lens, without leaking tensors', () => {
    const model = randomModel({ ...overrides, nLayers: 3 }, 11);
    const { nLayers, dVocab } = model.config;
    const perPosition = (nLayers + 1) * dVocab * 4; // bytes of one position's logits at every layer boundary
    const hand = lensByHand(model, tokens);
    const before = tf.memory().numTensors;
    // 1 byte: one position per chunk; 3 positions' worth: chunks of 3, 3 and 1 over the 7 tokens.
    for (const chunkBytes of [1, 3 * perPosition + 5]) {
      expectLensEqualsHand(logitLens(model, tokens, { topK: 3, target: 8, chunkBytes }), hand, nLayers + 1, 3, 8);
      // Without the final row the KL is still measured against it, within each chunk.
      expectLensEqualsHand(logitLens(model, tokens, { topK: 2, target: 8, chunkBytes, includeFinal: false }), hand, nLayers, 2, 8);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => logitLens(model, tokens, { chunkBytes: 0 })).toThrow('chunkBytes must be a positive number, got 0');
    model.dispose();
  });

  it('ranks the top token 0 and can leave out the final row', () => {
    const model = randomModel(overrides, 3);
    const first = logitLens(model, tokens, { topK: 1 });
    const topId = first.top[1][3][0].id;
    const lens = logitLens(model, tokens, { target: topId, includeFinal: false });
    expect(lens.layers).toEqual(['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_pre']);
    expect(lens.top).toHaveLength(2);
    expect(lens.top[0][0]).toHaveLength(5);
    expect(lens.target![1][3].rank).toBe(0);
    expect(lens.target![1][3].prob).toBeCloseTo(first.top[1][3][0].prob, 6);
    // KL is still measured against the model's own (final) prediction.
    expect(lens.klToFinal[1]).toEqual(first.klToFinal[1]);
    model.dispose();
  });
});

describe('logitLens on a hand-checkable model', () => {
  it('a zero unembedding gives the uniform distribution: entropy log(vocab), KL 0, every rank 0', () => {
    const config = tinyConfig();
    const weights = randomWeights(config, 5);
    for (const name of ['unembed.W_U', 'unembed.b_U']) {
      const tensor = weights.get(name);
      if (tensor) weights.set(name, { shape: tensor.shape, data: new Float32Array(tensor.data.length) });
    }
    const model = new HookedTransformer(config, weights);
    const lens = logitLens(model, [1, 2, 3], { topK: 2, target: 9 });
    for (const row of lens.entropy) for (const value of row) expect(value).toBeCloseTo(Math.log(config.dVocab), 5);
    for (const row of lens.klToFinal) for (const value of row) expect(value).toBeCloseTo(0, 6);
    for (const row of lens.target!) for (const cell of row) expect(cell).toEqual({ prob: expect.closeTo(1 / config.dVocab, 6), rank: 0, logit: 0 });
    model.dispose();
  });

  it('a two-token vocabulary: entropy and KL follow from the two listed probabilities', () => {
    // With vocab 2 and topK 2 every distribution is fully listed, so the formulas can be checked.
    const config = tinyConfig({ nLayers: 1, dVocab: 2, attnOnly: true });
    const model = new HookedTransformer(config, randomWeights(config, 2));
    const lens = logitLens(model, [0, 1], { topK: 2 });
    for (let layer = 0; layer < 2; layer++) {
      for (let p = 0; p < 2; p++) {
        const [hi, lo] = lens.top[layer][p];
        expect(hi.prob + lo.prob).toBeCloseTo(1, 6);
        expect(lens.entropy[layer][p]).toBeCloseTo(-(hi.prob * Math.log(hi.prob) + lo.prob * Math.log(lo.prob)), 5);
        const final = new Map(lens.top[1][p].map((t) => [t.id, t.prob]));
        const here = new Map([[hi.id, hi.prob], [lo.id, lo.prob]]);
        const kl = [0, 1].reduce((a, id) => a + final.get(id)! * Math.log(final.get(id)! / here.get(id)!), 0);
        expect(lens.klToFinal[layer][p]).toBeCloseTo(kl, 5);
      }
    }
    model.dispose();
  });

  it('rejects bad input with one clear line', () => {
    const model = randomModel();
    expect(() => logitLens(model, [])).toThrow('logitLens needs one prompt of at least one token id');
    expect(() => logitLens(model, [1, 2], { topK: 0 })).toThrow('topK must be an integer in [1, 23], got 0');
    expect(() => logitLens(model, [1, 2], { target: 23 })).toThrow('target token id 23 is out of range [0, 23)');
    expect(() => logitLens(model, [1, 99])).toThrow(/99/);
    model.dispose();
  });
});
