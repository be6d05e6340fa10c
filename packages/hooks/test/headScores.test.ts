import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend, weightSpecs } from '@hooklens/core';
import type { ModelConfig, WeightMap } from '@hooklens/core';
import { headScores, repeatedRandomTokens, ToolInputError } from '../src/index.ts';
import { randomModel } from '@hooklens/core/testing';

beforeAll(async () => { await initBackend(); });

/**
 * A hand-built two-layer attention-only model with RMSNorm and one-hot embeddings. The residual
 * stream has three subspaces: the current token [0, V), the position [V, V + C) and the previous
 * token [V + C, 2V + C), which only layer 0 head 0 writes.
 *   L0H0 previous-token head: query position i matches key position j when j + 1 = i
 *        (W_Q maps position i → direction i, W_K maps position j → direction j + 1); its OV
 *        circuit copies the attended token into the previous-token subspace.
 *   L0H1: all zeros (uniform attention).
 *   L1H0 induction head (K-composition): the query's current token matches the key's previous
 *        token, i.e. it attends to the position right after the earlier occurrence.
 *   L1H1 duplicate-token head: current token matches current token, minus a same-position term
 *        that cancels the match with itself.
 */
function handBuiltModel(): HookedTransformer {
  const V = 64;
  const C = 32;
  const config: ModelConfig = {
    family: 'hooklens', dModel: 2 * V + C, nLayers: 2, nHeads: 2, nKvHeads: 2, dHead: V + C, dMlp: 0, dVocab: V, nCtx: C,
    actFn: 'gelu_new', gatedMlp: false, normType: 'rmsnorm', eps: 1e-6, positional: 'learned',
    rotaryBase: 10000, rotaryDim: 4, rotaryPairing: 'half', tiedEmbeddings: false, attnOnly: true,
    defaultPrependBos: true, bosTokenId: 0, eosTokenId: 1,
  };
  const { dModel, dHead } = config;
  const weights: WeightMap = new Map();
  for (const [name, spec] of weightSpecs(config)) {
    if (spec.optional) continue;
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('.w')) data.fill(1);
    weights.set(name, { shape: spec.shape, data });
  }
  const set = (name: string, index: number[], value: number) => {
    const { shape, data } = weights.get(name)!;
    data[index.reduce((flat, i, axis) => flat * shape[axis] + i, 0)] = value;
  };
  const tok = (t: number) => t;
  const pos = (i: number) => V + i;
  const prev = (t: number) => V + C + t;
  for (let t = 0; t < V; t++) set('embed.W_E', [t, tok(t)], 1);
  for (let i = 0; i < C; i++) set('pos_embed.W_pos', [i, pos(i)], 1);
  // Layer 0 input is two one-hots: RMSNorm scales it by sqrt(dModel / 2). Scores get ~30 nats of margin.
  const scale0 = Math.sqrt(dModel / 2);
  const a = 2;
  for (let i = 0; i < C; i++) {
    set('blocks.0.attn.W_Q', [0, pos(i), i], a);
    if (i + 1 < dHead) set('blocks.0.attn.W_K', [0, pos(i), i + 1], a);
  }
  for (let t = 0; t < V; t++) {
    set('blocks.0.attn.W_V', [0, tok(t), t], 1);
    set('blocks.0.attn.W_O', [0, t, prev(t)], 1 / scale0); // writes exactly one unit of "previous token = t"
  }
  // Layer 1 input is three one-hots (token, position, previous token).
  const b = 2;
  for (let t = 0; t < V; t++) {
    set('blocks.1.attn.W_Q', [0, tok(t), t], b);
    set('blocks.1.attn.W_K', [0, prev(t), t], b);
    set('blocks.1.attn.W_Q', [1, tok(t), t], b);
    set('blocks.1.attn.W_K', [1, tok(t), t], b);
  }
  for (let i = 0; i < C; i++) {
    set('blocks.1.attn.W_Q', [1, pos(i), V + i], -b);
    set('blocks.1.attn.W_K', [1, pos(i), V + i], b);
  }
  return new HookedTransformer(config, weights);
}

describe('headScores', () => {
  it('finds the hand-built previous-token, induction and duplicate-token heads', async () => {
    const model = handBuiltModel();
    const before = tf.memory().numTensors;
    const scores = await headScores(model, { seqLen: 12, batch: 6, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(scores.seqLen).toBe(12);
    expect(scores.batch).toBe(6);
    const high: Record<string, string> = { previousToken: '0.0', induction: '1.0', duplicateToken: '1.1' };
    for (const kind of ['previousToken', 'duplicateToken', 'induction'] as const) {
      const grid = scores[kind];
      expect(grid).toHaveLength(2);
      grid.forEach((row, layer) => row.forEach((value, head) => {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
        if (`${layer}.${head}` === high[kind]) expect(value, `${kind} ${layer}.${head}`).toBeGreaterThan(0.95);
        else expect(value, `${kind} ${layer}.${head}`).toBeLessThan(0.25);
      }));
    }
    model.dispose();
  });

  it('scores a known replaced attention pattern exactly', async () => {
    const model = randomModel({ nCtx: 24, defaultPrependBos: true, nHeads: 4 });
    const seqLen = 5;
    const length = 1 + 2 * seqLen; // BOS, first copy at 1..5, second copy at 6..10
    const secondCopy = (q: number) => q >= 1 + seqLen;
    // Per head, the key each query attends to (one-hot), or 'uniform'.
    const patterns: ((q: number) => Map<number, number>)[] = [
      (q) => new Map([[Math.max(0, q - 1), 1]]), // previous token
      (q) => (secondCopy(q) ? new Map([[q - seqLen + 1, 0.5], [q - seqLen, 0.5]]) : new Map([[0, 1]])), // half induction, half duplicate
      (q) => new Map(Array.from({ length: q + 1 }, (_, k) => [k, 1 / (q + 1)])), // uniform
      (q) => new Map([[q, 1]]), // self
    ];
    model.addHook('blocks.1.attn.hook_pattern', (pattern) => {
      const [batch, heads] = pattern.shape;
      const data = new Float32Array(batch * heads * length * length);
      for (let row = 0; row < batch; row++) for (let head = 0; head < heads; head++) for (let q = 0; q < length; q++) {
        for (const [k, weight] of patterns[head](q)) data[((row * heads + head) * length + q) * length + k] = weight;
      }
      return tf.tensor4d(data, [batch, heads, length, length]);
    });
    const scores = await headScores(model, { seqLen, batch: 3 });
    model.resetHooks();
    const harmonicMean = (from: number, to: number) => { let s = 0; for (let q = from; q <= to; q++) s += 1 / (q + 1); return s / (to - from + 1); };
    const expected = {
      previousToken: [1, 1 / (length - 1), harmonicMean(1, length - 1), 0],
      duplicateToken: [0, 0.5, harmonicMean(1 + seqLen, length - 1), 0],
      induction: [0, 0.5, harmonicMean(1 + seqLen, length - 1), 0],
    };
    for (const kind of ['previousToken', 'duplicateToken', 'induction'] as const) {
      scores[kind][1].forEach((value, head) => expect(Math.abs(value - expected[kind][head]), `${kind} head ${head}`).toBeLessThan(1e-6));
    }
    model.dispose();
  });

  it('builds repeated random tokens: BOS, then a sequence of distinct ordinary tokens twice, seeded', () => {
    const model = randomModel({ nCtx: 24, dVocab: 23, defaultPrependBos: true, padTokenId: 2 });
    const { tokens, offset } = repeatedRandomTokens(model, { seqLen: 10, batch: 4, seed: 9 });
    expect(offset).toBe(1);
    expect(tokens).toHaveLength(4);
    for (const row of tokens) {
      expect(row).toHaveLength(21);
      expect(row[0]).toBe(0);
      const sequence = row.slice(1, 11);
      expect(row.slice(11)).toEqual(sequence);
      expect(new Set(sequence).size).toBe(10);
      for (const id of sequence) expect([0, 1, 2]).not.toContain(id);
    }
    expect(repeatedRandomTokens(model, { seqLen: 10, batch: 4, seed: 9 }).tokens).toEqual(tokens);
    expect(repeatedRandomTokens(model, { seqLen: 10, batch: 4, seed: 10 }).tokens).not.toEqual(tokens);
    const noBos = repeatedRandomTokens(model, { seqLen: 3, batch: 1, prependBos: false });
    expect(noBos.offset).toBe(0);
    expect(noBos.tokens[0]).toHaveLength(6);
    model.dispose();
  });

  it('rejects sequences that do not fit the context, with the largest that does', async () => {
    const model = randomModel({ nCtx: 24, defaultPrependBos: true });
    await expect(headScores(model, { seqLen: 12 })).rejects.toThrow(ToolInputError);
    await expect(headScores(model, { seqLen: 12 })).rejects.toThrow(/25 tokens, more than the model's context n_ctx = 24; use seqLen <= 11/);
    await expect(headScores(model, { seqLen: 1 })).rejects.toThrow(/seqLen must be an integer >= 2/);
    await expect(headScores(model, { batch: 0 })).rejects.toThrow(/batch must be a positive integer/);
    model.dispose();
  });
});
