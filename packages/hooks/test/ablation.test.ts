import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '@hooklens/core';
import type { HookedTransformer as Model, ModelConfig, WeightMap } from '@hooklens/core';
import { ablate, ablationSweep, ToolInputError } from '../src/index.ts';
import { randomWeights, tinyConfig } from '../../core/test/randomModel.ts';

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

  /** A hook that overwrites head `head` of hook_z at every row and position with `values(row, position)` (d_head numbers). */
  const writeHead = (head: number, values: (row: number, position: number) => number[]) => (z: tf.Tensor) => {
    const array = z.arraySync() as number[][][][]; // [batch][pos][head][d_head]
    array.forEach((row, r) => row.forEach((position, p) => { position[head] = values(r, p); }));
    return tf.tensor(array);
  };
  const cachedZ = (model: Model, tokens: number[][], layer: number) => {
    const { logits, cache } = model.runWithCache(tokens, { names: [`blocks.${layer}.attn.hook_z`] });
    const array = cache.get(`blocks.${layer}.attn.hook_z`).arraySync() as number[][][][];
    logits.dispose();
    cache.dispose();
    return array;
  };

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
