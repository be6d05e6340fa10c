import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '@hooklens/core';
import type { HookedTransformer as Model, ModelConfig, WeightMap } from '@hooklens/core';
import { ablate, ablationSweep, ToolInputError } from '../src/index.ts';
import { ablationSweepBatchSize } from '../src/ablation.ts';
import { DEFAULT_BATCH_BYTES } from '../src/sweep/batching.ts';
import { randomWeights, tinyConfig } from '@hooklens/core/testing';

beforeAll(async () => { await initBackend(); });

const prompts = [[3, 7, 2, 9, 4, 11, 5], [5, 5, 6, 8, 12, 2, 19]];
const answer = 4;
const wrong = 9;

function copyWeights(weights: WeightMap): WeightMap {
  return new Map([...weights].map(([name, t]) => [name, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
}

/** A copy of the model with W_O[head] = 0 for each head and W_out, b_out = 0 for each MLP layer. */
function knockedOut(config: ModelConfig, weights: WeightMap, heads: { layer: number; head: number }[], mlps: number[] = []): Model {
  const copy = copyWeights(weights);
  for (const { layer, head } of heads) {
    const W_O = copy.get(`blocks.${layer}.attn.W_O`)!; // [head, d_head, d_model]
    const size = config.dHead * config.dModel;
    W_O.data.fill(0, head * size, (head + 1) * size);
  }
  for (const layer of mlps) {
    copy.get(`blocks.${layer}.mlp.W_out`)!.data.fill(0);
    copy.get(`blocks.${layer}.mlp.b_out`)?.data.fill(0);
  }
  return new HookedTransformer(config, copy);
}

/** Loss, logit difference (mean over rows) and last-position probabilities of a model run, as plain numbers. */
function measure(model: Model, tokens: number[][], hooks: Parameters<Model['withHooks']>[0] = []) {
  return model.withHooks(hooks, () => tf.tidy(() => {
    const { logits, loss } = model.forward(tokens, { returnType: 'both' });
    const last = logits.shape[1] - 1;
    const atLast = logits.slice([0, last, 0], [-1, 1, -1]).squeeze([1]);
    const diff = atLast.slice([0, answer], [-1, 1]).sub(atLast.slice([0, wrong], [-1, 1])).mean();
    return { loss: loss.dataSync()[0], metric: diff.dataSync()[0], probabilities: tf.softmax(atLast).arraySync() as number[][] };
  }));
}

/** A hook that overwrites head `head` of hook_z at every row and position with `values(row, position)` (d_head numbers). */
const writeHead = (head: number, values: (row: number, position: number) => number[]) => (z: tf.Tensor) => {
  const array = z.arraySync() as number[][][][]; // [batch][pos][head][d_head]
  array.forEach((row, r) => row.forEach((position, p) => { position[head] = values(r, p); }));
  return tf.tensor(array);
};

/** hook_z of `layer` on a plain run: [batch][pos][head][d_head]. */
const cachedZ = (model: Model, tokens: number[][], layer: number) => {
  const { logits, cache } = model.runWithCache(tokens, { names: [`blocks.${layer}.attn.hook_z`] });
  const array = cache.get(`blocks.${layer}.attn.hook_z`).arraySync() as number[][][][];
  logits.dispose();
  cache.dispose();
  return array;
};

function expectPredictionsMatch(predictions: { token: number; probability: number }[], probabilities: number[]) {
  const expected = probabilities.map((p, token) => ({ token, p })).sort((a, b) => b.p - a.p).slice(0, 5);
  expect(predictions.map((p) => p.token)).toEqual(expected.map((e) => e.token));
  predictions.forEach((p, i) => expect(Math.abs(p.probability - expected[i].p)).toBeLessThan(1e-5));
}

describe.each([
  ['gpt2-like', {}],
  ['llama-like (GQA, rotary, gated)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
] as const)('ablate %s', (_label, overrides) => {
  const config = tinyConfig({ nLayers: 3, ...overrides });
  const weights = randomWeights(config, 7);

  it('zero-ablating heads equals zeroing their W_O rows in a copy of the weights (b_O kept)', async () => {
    const model = new HookedTransformer(config, weights);
    const heads = [{ layer: 0, head: 1 }, { layer: 2, head: 3 }, { layer: 2, head: 0 }];
    const reference = knockedOut(config, weights, heads);
    const clean = measure(model, prompts);
    const expected = measure(reference, prompts);
    const before = tf.memory().numTensors;
    const result = await ablate(model, prompts, { heads, mode: 'zero', answer, wrong });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(result.lossClean - clean.loss)).toBeLessThan(1e-4);
    expect(Math.abs(result.lossAblated - expected.loss)).toBeLessThan(1e-4);
    expect(Math.abs(result.lossDelta - (expected.loss - clean.loss))).toBeLessThan(1e-4);
    expect(Math.abs(result.metricClean! - clean.metric)).toBeLessThan(1e-4);
    expect(Math.abs(result.metricAblated! - expected.metric)).toBeLessThan(1e-4);
    expect(result.position).toBe(prompts[0].length - 1);
    expect(result.predictions).toHaveLength(2);
    result.predictions.forEach((row, r) => {
      expectPredictionsMatch(row.clean, clean.probabilities[r]);
      expectPredictionsMatch(row.ablated, expected.probabilities[r]);
    });
    expect(Math.abs(result.lossDelta)).toBeGreaterThan(1e-3); // the ablation does something
    reference.dispose();
    model.dispose();
  });

  it('zero-ablating MLP layers (with heads) equals zeroing W_out and b_out in a copy', async () => {
    const model = new HookedTransformer(config, weights);
    const heads = [{ layer: 1, head: 2 }];
    const reference = knockedOut(config, weights, heads, [0, 2]);
    const result = await ablate(model, prompts[0], { heads, mlps: [0, 2], answer, wrong });
    const single = measure(reference, [prompts[0]]);
    expect(Math.abs(result.lossAblated - single.loss)).toBeLessThan(1e-4);
    expect(Math.abs(result.metricAblated! - single.metric)).toBeLessThan(1e-4);
    reference.dispose();
    model.dispose();
  });
});

describe('ablate: mean and resample', () => {
  const config = tinyConfig({ nLayers: 2 });
  const weights = randomWeights(config, 3);
  const { nHeads, dHead } = config;


  it('mean ablation writes the head\'s mean z over the reference batch and all its positions', async () => {
    const model = new HookedTransformer(config, weights);
    const reference = [[1, 2, 3, 4], [9, 8, 7, 6], [10, 11, 12, 13]]; // a different length from the prompt is fine
    const z = cachedZ(model, reference, 1);
    const mean = new Array<number>(dHead).fill(0);
    let count = 0;
    for (const row of z) for (const position of row) { position[2].forEach((v, i) => { mean[i] += v; }); count++; }
    for (let i = 0; i < dHead; i++) mean[i] /= count;
    const expected = measure(model, prompts, [['blocks.1.attn.hook_z', writeHead(2, () => mean)]]);
    const result = await ablate(model, prompts, { heads: [{ layer: 1, head: 2 }], mode: 'mean', reference, answer, wrong });
    expect(Math.abs(result.lossAblated - expected.loss)).toBeLessThan(1e-4);
    expect(Math.abs(result.metricAblated! - expected.metric)).toBeLessThan(1e-4);

    // Default reference: the prompts themselves.
    const own = cachedZ(model, prompts, 0);
    const ownMean = new Array<number>(dHead).fill(0);
    for (const row of own) for (const position of row) position[0].forEach((v, i) => { ownMean[i] += v / (prompts.length * prompts[0].length); });
    const expectedOwn = measure(model, prompts, [['blocks.0.attn.hook_z', writeHead(0, () => ownMean)]]);
    const resultOwn = await ablate(model, prompts, { heads: [{ layer: 0, head: 0 }], mode: 'mean' });
    expect(Math.abs(resultOwn.lossAblated - expectedOwn.loss)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('mean-ablating an MLP writes the mean hook_mlp_out', async () => {
    const model = new HookedTransformer(config, weights);
    const { logits, cache } = model.runWithCache(prompts, { names: ['blocks.0.hook_mlp_out'] });
    const out = cache.get('blocks.0.hook_mlp_out').arraySync() as number[][][];
    tf.dispose(logits); cache.dispose();
    const mean = new Array<number>(config.dModel).fill(0);
    for (const row of out) for (const position of row) position.forEach((v, i) => { mean[i] += v / (prompts.length * prompts[0].length); });
    const expected = measure(model, prompts, [['blocks.0.hook_mlp_out', (a: tf.Tensor) => tf.tensor([...Array(a.shape[0])].map(() => [...Array(a.shape[1])].map(() => mean)))]]);
    const result = await ablate(model, prompts, { mlps: [0], mode: 'mean' });
    expect(Math.abs(result.lossAblated - expected.loss)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('resample ablation takes each row\'s z from a different reference row', async () => {
    const model = new HookedTransformer(config, weights);
    // Default reference = the two prompts: the only derangement swaps them.
    const z = cachedZ(model, prompts, 1);
    const swapped = measure(model, prompts, [['blocks.1.attn.hook_z', writeHead(3, (row, position) => z[1 - row][position][3])]]);
    const result = await ablate(model, prompts, { heads: [{ layer: 1, head: 3 }], mode: 'resample', seed: 5 });
    expect(Math.abs(result.lossAblated - swapped.loss)).toBeLessThan(1e-4);
    // A reference of identical rows: whichever row is drawn, the values are that row's.
    const reference = [[13, 14, 15, 16, 17, 18, 20], [13, 14, 15, 16, 17, 18, 20], [13, 14, 15, 16, 17, 18, 20]];
    const zRef = cachedZ(model, reference, 0);
    const expected = measure(model, prompts, [['blocks.0.attn.hook_z', writeHead(1, (_row, position) => zRef[0][position][1])]]);
    const given = await ablate(model, prompts, { heads: [{ layer: 0, head: 1 }], mode: 'resample', reference, seed: 1 });
    expect(Math.abs(given.lossAblated - expected.loss)).toBeLessThan(1e-4);
    expect(nHeads).toBe(4);
    model.dispose();
  });
});

describe('ablationSweep', () => {
  const config = tinyConfig({ nLayers: 3 });
  const weights = randomWeights(config, 11);

  it.each(['zero', 'mean', 'resample'] as const)('batched %s sweep equals one ablate() per head', async (mode) => {
    const model = new HookedTransformer(config, weights);
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const sweep = await ablationSweep(model, prompts, { mode, answer, wrong, seed: 2, batchSize: 3, onProgress: (done, total) => progress.push([done, total]) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.at(-1)).toEqual([12, 12]);
    expect(progress.length).toBe(6); // 3 layers × (3 + 1 heads)
    expect(sweep.lossDelta).toHaveLength(3);
    for (let layer = 0; layer < 3; layer++) {
      expect(sweep.lossDelta[layer]).toHaveLength(4);
      for (let head = 0; head < 4; head++) {
        const one = await ablate(model, prompts, { heads: [{ layer, head }], mode, answer, wrong, seed: 2 });
        expect(Math.abs(sweep.lossDelta[layer][head] - one.lossDelta), `${layer}.${head}`).toBeLessThan(1e-4);
        expect(Math.abs(sweep.metricDelta![layer][head] - one.metricDelta!), `${layer}.${head}`).toBeLessThan(1e-4);
        expect(Math.abs(sweep.lossClean - one.lossClean)).toBeLessThan(1e-5);
      }
    }
    // Metric only (no loss; unembeds just the last position): the same metric grid.
    const metricOnly = await ablationSweep(model, prompts, { mode, answer, wrong, seed: 2, loss: false });
    expect('lossDelta' in metricOnly).toBe(false);
    metricOnly.metricDelta.forEach((row, layer) => row.forEach((value, head) => expect(Math.abs(value - sweep.metricDelta![layer][head])).toBeLessThan(1e-4)));
    expect(Math.abs(metricOnly.metricClean - sweep.metricClean!)).toBeLessThan(1e-5);
    // Only some layers: those rows match, the others are NaN (not measured).
    const partial = await ablationSweep(model, prompts, { mode, answer, wrong, seed: 2, layers: [2] });
    expect(partial.lossDelta[0].every(Number.isNaN) && partial.lossDelta[1].every(Number.isNaN)).toBe(true);
    partial.lossDelta[2].forEach((value, head) => expect(Math.abs(value - sweep.lossDelta[2][head])).toBeLessThan(1e-5));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('chooses the batch size from activation and logit memory of the blocks a copy runs, as worked out by hand', () => {
    expect(DEFAULT_BATCH_BYTES).toBe(1_073_741_824); // 1 GiB: the figures below assume it
    // GPT-2 small's shape, one 64-token row. Per position and block 40·768 + 9·3072 + 4·12·64 = 61 440 values.
    const gpt2 = tinyConfig({ dModel: 768, dMlp: 3072, nHeads: 12, nKvHeads: 12, dHead: 64, dVocab: 50_257, nLayers: 12, nCtx: 1024 });
    const size = (wantLoss: boolean, blocks: number) => ablationSweepBatchSize(gpt2, undefined, 1, 64, wantLoss, blocks);
    // Layer 0, metric only: 12 blocks × 64 × 61 440 + 50 257 logits = 47 236 177 values = 188 944 708 bytes;
    // 2^30 / that = 5.7, so 5 fit: 12 heads in 3 passes of 4.
    expect(size(false, 12)).toBe(4);
    // Layer 7 (5 blocks): 19 660 800 + 50 257 values = 78 844 228 bytes: 13 fit, one pass of all 12 heads.
    expect(size(false, 5)).toBe(12);
    // With the loss, 64 positions of logits and their log-softmax: + 2 × 64 × 50 257 = 6 432 896 values,
    // 104 374 784 bytes: 10 fit, so 6 + 6.
    expect(size(true, 5)).toBe(6);
    // Layer 11 (1 block) with the loss: 3 932 160 + 6 432 896 values = 41 460 224 bytes: 25 fit, capped at 12.
    expect(size(true, 1)).toBe(12);
    // Rows multiply: 3 rows at layer 7 with the loss, 313 124 352 bytes: 3 fit, 4 passes of 3.
    expect(ablationSweepBatchSize(gpt2, undefined, 3, 64, true, 5)).toBe(3);
    // A requested size is used as given, up to a layer's heads.
    expect(ablationSweepBatchSize(gpt2, 5, 3, 64, true, 12)).toBe(5);
    expect(ablationSweepBatchSize(gpt2, 100, 1, 64, false, 1)).toBe(12);
  });

  it('sweeps each layer in passes of that size (read from the progress reports)', async () => {
    /** Heads per forward pass: one progress report per pass. */
    const passSizes = async (model: Model, tokens: number[][], options: Parameters<typeof ablationSweep>[2]) => {
      const done: number[] = [0];
      await ablationSweep(model, tokens, { ...options, onProgress: (d) => done.push(d) });
      return done.slice(1).map((d, i) => d - done[i]);
    };
    // 12 heads, 2 layers, d_model 16, d_mlp 32; 3 rows of 400 tokens, metric only (vocab 23: tiny logits).
    const config = tinyConfig({ nHeads: 12, nCtx: 512 });
    const model = new HookedTransformer(config, randomWeights(config, 4));
    const tokens = Array.from({ length: 3 }, (_, r) => Array.from({ length: 400 }, (_, p) => (r * 5 + p * 3) % 23));
    // Per position and block 40·16 + 9·32 + 4·12·400 = 20 128 values; a block of a row: 8 051 200.
    // Layer 0 (2 blocks): (16 102 400 + 23) × 4 × 3 rows = 193 229 076 bytes: 5 fit, 3 passes of 4.
    // Layer 1 (1 block): (8 051 200 + 23) × 4 × 3 = 96 614 676 bytes: 11 fit, 2 passes of 6.
    expect(await passSizes(model, tokens, { loss: false, answer: 1, wrong: 2 })).toEqual([4, 4, 4, 6, 6]);
    expect(await passSizes(model, [tokens[0].slice(0, 8)], { loss: false, answer: 1, wrong: 2, batchSize: 5 })).toEqual([5, 5, 2, 5, 5, 2]);
    model.dispose();
  });

  it('cancels mid-sweep with an AbortError and leaks nothing', async () => {
    const model = new HookedTransformer(config, weights);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let batches = 0;
    const sweep = ablationSweep(model, prompts, { mode: 'mean', batchSize: 2, signal: controller.signal, onProgress: () => { if (++batches === 2) controller.abort(); } });
    await expect(sweep).rejects.toMatchObject({ name: 'AbortError', message: 'sweep cancelled' });
    expect(batches).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe.each(['left', 'right'] as const)('padded batches (%s padding, attentionMask): each row reads as its prompt alone', (side) => {
  const config = tinyConfig({ nLayers: 2 });
  const weights = randomWeights(config, 13);
  const alone = [[3, 7, 2, 9, 4, 11, 5], [5, 6, 8, 12]]; // 7 and 4 tokens
  const pairs = alone.map((row) => row.length - 1); // next-token loss terms per prompt: 6 and 3
  const padded = alone.map((row) => {
    const pads = new Array<number>(7 - row.length).fill(1);
    return side === 'left' ? [...pads, ...row] : [...row, ...pads];
  });
  const attentionMask = alone.map((row) => {
    const pads = new Array<number>(7 - row.length).fill(0);
    const real = new Array<number>(row.length).fill(1);
    return side === 'left' ? [...pads, ...real] : [...real, ...pads];
  });
  /** The batch's loss from each prompt's own loss: the mean over all real next-token pairs. */
  const pooledLoss = (losses: number[]) => losses.reduce((total, loss, r) => total + loss * pairs[r], 0) / (pairs[0] + pairs[1]);
  const meanOf = (values: number[]) => (values[0] + values[1]) / 2;

  it('ablate: per-row predictions equal each prompt alone; loss pooled over real tokens, metric averaged over rows', async () => {
    const model = new HookedTransformer(config, weights);
    const heads = [{ layer: 0, head: 1 }, { layer: 1, head: 2 }];
    const before = tf.memory().numTensors;
    for (const position of [-1, 1]) {
      const batch = await ablate(model, padded, { heads, answer, wrong, attentionMask, position });
      const single = await Promise.all(alone.map((row) => ablate(model, row, { heads, answer, wrong, position })));
      expect(batch.position).toBe(position);
      const readAt = position === -1 ? [6, side === 'left' ? 6 : 3] : [1, side === 'left' ? 4 : 1];
      expect(batch.rowPositions).toEqual(readAt);
      batch.predictions.forEach((row, r) => {
        for (const kind of ['clean', 'ablated'] as const) {
          expect(row[kind].map((p) => p.token)).toEqual(single[r].predictions[0][kind].map((p) => p.token));
          row[kind].forEach((p, k) => expect(Math.abs(p.probability - single[r].predictions[0][kind][k].probability)).toBeLessThan(1e-5));
        }
      });
      expect(Math.abs(batch.lossClean - pooledLoss(single.map((s) => s.lossClean)))).toBeLessThan(1e-4);
      expect(Math.abs(batch.lossAblated - pooledLoss(single.map((s) => s.lossAblated)))).toBeLessThan(1e-4);
      expect(Math.abs(batch.metricClean! - meanOf(single.map((s) => s.metricClean!)))).toBeLessThan(1e-4);
      expect(Math.abs(batch.metricAblated! - meanOf(single.map((s) => s.metricAblated!)))).toBeLessThan(1e-4);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('ablationSweep (with and without the loss): every cell equals the prompts run alone, pooled', async () => {
    const model = new HookedTransformer(config, weights);
    const before = tf.memory().numTensors;
    const batch = await ablationSweep(model, padded, { answer, wrong, attentionMask, batchSize: 3 });
    const metricOnly = await ablationSweep(model, padded, { answer, wrong, attentionMask, loss: false });
    expect(tf.memory().numTensors).toBe(before);
    const single = await Promise.all(alone.map((row) => ablationSweep(model, row, { answer, wrong })));
    expect(Math.abs(batch.lossClean - pooledLoss(single.map((s) => s.lossClean)))).toBeLessThan(1e-4);
    for (let layer = 0; layer < 2; layer++) {
      for (let head = 0; head < config.nHeads; head++) {
        const ablatedLoss = pooledLoss(single.map((s) => s.lossClean + s.lossDelta[layer][head]));
        expect(Math.abs(batch.lossClean + batch.lossDelta[layer][head] - ablatedLoss), `${layer}.${head}`).toBeLessThan(1e-4);
        const metricDelta = meanOf(single.map((s) => s.metricDelta![layer][head]));
        expect(Math.abs(batch.metricDelta![layer][head] - metricDelta), `${layer}.${head}`).toBeLessThan(1e-4);
        expect(Math.abs(metricOnly.metricDelta[layer][head] - metricDelta), `${layer}.${head}`).toBeLessThan(1e-4);
      }
    }
    model.dispose();
  });

  it("mean ablation averages z over the real tokens only (by hand from each prompt's own run); resample refuses padding", async () => {
    const model = new HookedTransformer(config, weights);
    const { dHead } = config;
    const zAlone = alone.map((row) => cachedZ(model, [row], 1)[0]);
    const mean = new Array<number>(dHead).fill(0);
    const count = alone[0].length + alone[1].length;
    for (const z of zAlone) for (const position of z) position[3].forEach((v, i) => { mean[i] += v / count; });
    const byHand = alone.map((row) => measure(model, [row], [['blocks.1.attn.hook_z', writeHead(3, () => mean)]]));
    const result = await ablate(model, padded, { heads: [{ layer: 1, head: 3 }], mode: 'mean', answer, wrong, attentionMask });
    expect(Math.abs(result.lossAblated - pooledLoss(byHand.map((m) => m.loss)))).toBeLessThan(1e-4);
    expect(Math.abs(result.metricAblated! - meanOf(byHand.map((m) => m.metric)))).toBeLessThan(1e-4);
    // The same batch as an explicit, padded reference gives the same fill.
    const withReference = await ablate(model, padded, { heads: [{ layer: 1, head: 3 }], mode: 'mean', answer, wrong, attentionMask, reference: padded, referenceAttentionMask: attentionMask });
    expect(Math.abs(withReference.lossAblated - result.lossAblated)).toBeLessThan(1e-6);
    await expect(ablate(model, padded, { heads: [{ layer: 1, head: 3 }], mode: 'resample', attentionMask }))
      .rejects.toThrow('resample ablation takes each position from another prompt, so it needs prompts of equal token length, without padding');
    model.dispose();
  });
});

describe('ablation input errors', () => {
  let model: Model;
  beforeAll(() => { model = new HookedTransformer(tinyConfig(), randomWeights(tinyConfig(), 1)); });
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['unknown head', () => ablate(model, prompts, { heads: [{ layer: 1, head: 9 }] }), /^head 1\.9: layer 1 has heads 0\.\.3$/],
    ['unknown layer', () => ablate(model, prompts, { heads: [{ layer: 5, head: 0 }] }), /^head 5\.0: the model has layers 0\.\.1$/],
    ['unknown MLP layer', () => ablate(model, prompts, { mlps: [2] }), /^mlp 2: the model has layers 0\.\.1$/],
    ['nothing to ablate', () => ablate(model, prompts, {}), /nothing to ablate/],
    ['empty prompt', () => ablate(model, [], { heads: [{ layer: 0, head: 0 }] }), /^prompt is empty$/],
    ['empty sweep prompt', () => ablationSweep(model, [[]]), /^prompt is empty$/],
    ['one-token prompt', () => ablate(model, [3], { heads: [{ layer: 0, head: 0 }] }), /needs at least 2/],
    ['answer without wrong', () => ablate(model, prompts, { heads: [{ layer: 0, head: 0 }], answer: 3 }), /needs both answer and wrong/],
    ['answer out of vocabulary', () => ablate(model, prompts, { heads: [{ layer: 0, head: 0 }], answer: 99, wrong: 1 }), /answer id 99 is out of range/],
    ['resample with one prompt', () => ablate(model, prompts[0], { heads: [{ layer: 0, head: 0 }], mode: 'resample' }), /needs other prompts/],
    ['resample reference of another length', () => ablate(model, prompts, { heads: [{ layer: 0, head: 0 }], mode: 'resample', reference: [[1, 2]] }), /reference has 2 tokens, prompt 7/],
    ['bad mode', () => ablate(model, prompts, { heads: [{ layer: 0, head: 0 }], mode: 'max' as never }), /unknown ablation mode 'max'/],
    ['bad position', () => ablate(model, prompts, { heads: [{ layer: 0, head: 0 }], position: 7 }), /position 7 is outside the prompt's 7 tokens/],
    ['sweep layer out of range', () => ablationSweep(model, prompts, { layers: [0, 2] }), /^layer 2: the model has layers 0\.\.1$/],
    ['metric-only sweep without metric', () => ablationSweep(model, prompts, { loss: false }), /needs a metric/],
  ];
  it.each(cases)('%s', async (_label, call, message) => {
    const before = tf.memory().numTensors;
    const error = await call().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ToolInputError);
    expect((error as Error).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects MLP ablation on an attention-only model', async () => {
    const attnOnly = new HookedTransformer(tinyConfig({ attnOnly: true }), randomWeights(tinyConfig({ attnOnly: true }), 1));
    await expect(ablate(attnOnly, prompts, { mlps: [0] })).rejects.toThrow(/attention-only/);
    attnOnly.dispose();
  });
});
