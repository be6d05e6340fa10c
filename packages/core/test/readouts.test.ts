/**
 * The model's readouts for tools (model.ts): `unembedResidual` (ln_final, W_U, b_U, soft cap on
 * the engine) and `tokensToResidualDirections` (W_U columns), on both engines, against float64
 * arithmetic written here; and a tied W_U kept as a view of W_E (TransposedView) that no forward,
 * cache, readout or generation ever copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend, TransposedView } from '../src/index.ts';
import type { EngineName, HookName, ModelConfig, WeightMap } from '../src/index.ts';
import { randomWeights, tinyConfig } from './randomModel.ts';

beforeAll(async () => { await initBackend(); });

const ENGINES: EngineName[] = ['tfjs', 'onnx'];
const TOLERANCE = 1e-4;

/** ln_final (each row's own statistics), W_U, b_U and the soft cap, in float64: [rows][vocab]. */
function readoutByHand(config: ModelConfig, weights: WeightMap, rows: number[][]): number[][] {
  const { dModel, dVocab, normType, eps, outputLogitsSoftCap: cap } = config;
  const w = weights.get('ln_final.w')!.data;
  const b = weights.get('ln_final.b')?.data;
  const embed = weights.get('embed.W_E')!.data;
  const unembedView = weights.get('unembed.W_U')!;
  // A tied view is read through its source, so the hand computation never materialises it.
  const unembed = (d: number, t: number) => unembedView instanceof TransposedView ? embed[t * dModel + d] : unembedView.data[d * dVocab + t];
  const bU = weights.get('unembed.b_U')?.data;
  return rows.map((x) => {
    const mean = normType === 'layernorm' ? x.reduce((a, v) => a + v, 0) / dModel : 0;
    const centred = x.map((v) => v - mean);
    const scale = Math.sqrt(centred.reduce((a, v) => a + v * v, 0) / dModel + eps);
    const normed = centred.map((v, d) => (v / scale) * w[d] + (b ? b[d] : 0));
    return Array.from({ length: dVocab }, (_, t) => {
      let logit = bU ? bU[t] : 0;
      for (let d = 0; d < dModel; d++) logit += normed[d] * unembed(d, t);
      return cap === undefined ? logit : cap * Math.tanh(logit / cap);
    });
  });
}

function maxDifference(actual: number[][], expected: number[][]): number {
  let worst = 0;
  actual.forEach((row, r) => row.forEach((value, c) => { worst = Math.max(worst, Math.abs(value - expected[r][c])); }));
  return worst;
}

/** Weights whose W_U is W_E transposed, as a tied checkpoint's loader leaves them: a view. */
function tiedWeights(config: ModelConfig, seed: number): WeightMap {
  const weights = randomWeights(config, seed);
  weights.set('unembed.W_U', new TransposedView(weights.get('embed.W_E')!));
  weights.delete('unembed.b_U');
  return weights;
}

const CASES: [string, Partial<ModelConfig>, boolean][] = [
  ['gpt2-like (untied, biases)', {}, false],
  ['llama-like (RMSNorm)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }, false],
  ['tied (W_U a view of W_E)', { tiedEmbeddings: true }, true],
  ['tied, logit soft cap (Gemma 2)', { tiedEmbeddings: true, normType: 'rmsnorm', outputLogitsSoftCap: 3 }, true],
];

describe.each(ENGINES)('readouts on the %s engine', (engine) => {
  it.each(CASES)('unembedResidual equals ln_final, W_U, b_U and the cap by hand: %s', (_label, overrides, tied) => {
    const config = tinyConfig(overrides);
    const weights = tied ? tiedWeights(config, 3) : randomWeights(config, 3);
    const model = new HookedTransformer(config, weights, { engine });
    const rows = Array.from({ length: 5 }, (_, r) => Array.from({ length: config.dModel }, (_, d) => Math.sin(1.7 * r + 0.37 * d) * (1 + r)));
    const before = tf.memory().numTensors;
    const residual = tf.tensor2d(rows);
    const logits = model.unembedResidual(residual);
    expect(logits.shape).toEqual([5, config.dVocab]);
    const actual = logits.arraySync() as number[][];
    tf.dispose([residual, logits]);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxDifference(actual, readoutByHand(config, weights, rows))).toBeLessThan(TOLERANCE);
    if (tied) expect((weights.get('unembed.W_U') as TransposedView).materialized).toBe(false);
    model.dispose();
  });

  it('reading the cached final residual gives the model\'s own logits', () => {
    const config = tinyConfig({ tiedEmbeddings: true, outputLogitsSoftCap: 2 });
    const model = new HookedTransformer(config, tiedWeights(config, 4), { engine });
    const tokens = [3, 7, 2, 9, 4];
    const name: HookName = `blocks.${config.nLayers - 1}.hook_resid_post`;
    const { logits, cache } = model.runWithCache([tokens], { names: [name] });
    const read = tf.tidy(() => model.unembedResidual(cache.get(name).reshape([tokens.length, config.dModel]) as tf.Tensor2D));
    const own = tf.tidy(() => logits.reshape([tokens.length, config.dVocab]));
    expect(maxDifference(read.arraySync() as number[][], own.arraySync() as number[][])).toBeLessThan(1e-5);
    tf.dispose([logits, read, own]);
    cache.dispose();
    model.dispose();
  });

  it.each(CASES)('tokensToResidualDirections are the columns of W_U: %s', (_label, overrides, tied) => {
    const config = tinyConfig(overrides);
    const weights = tied ? tiedWeights(config, 5) : randomWeights(config, 5);
    const model = new HookedTransformer(config, weights, { engine });
    const ids = [4, 0, config.dVocab - 1, 4];
    const directions = model.tokensToResidualDirections(ids);
    expect(directions.shape).toEqual([ids.length, config.dModel]);
    const values = directions.arraySync() as number[][];
    directions.dispose();
    const embed = weights.get('embed.W_E')!.data;
    ids.forEach((id, row) => {
      for (let d = 0; d < config.dModel; d++) {
        // W_U[d, id]; a tied model's is W_E[id, d].
        const expected = tied ? embed[id * config.dModel + d] : weights.get('unembed.W_U')!.data[d * config.dVocab + id];
        expect(values[row][d]).toBe(expected);
      }
    });
    expect(() => model.tokensToResidualDirections([config.dVocab])).toThrow(`token id ${config.dVocab} is out of range [0, ${config.dVocab})`);
    expect(() => model.tokensToResidualDirections([1.5])).toThrow('token id 1.5 is out of range');
    if (tied) expect((weights.get('unembed.W_U') as TransposedView).materialized).toBe(false);
    model.dispose();
  });

  it('a tied model holds W_E once: forward, cache, generation and readouts never make the transposed copy, and the logits equal an explicit copy\'s', async () => {
    const config = tinyConfig({ tiedEmbeddings: true });
    const weights = tiedWeights(config, 6);
    const view = weights.get('unembed.W_U') as TransposedView;
    const copied: WeightMap = new Map(weights);
    copied.set('unembed.W_U', { shape: view.shape, data: transposed(weights.get('embed.W_E')!.data, config.dVocab, config.dModel) });
    const model = new HookedTransformer(config, weights, { engine });
    const reference = new HookedTransformer(config, copied, { engine });
    const tokens = [[3, 7, 2, 9], [1, 5, 8, 6]];
    const logits = model.forward(tokens) as tf.Tensor;
    const expected = reference.forward(tokens) as tf.Tensor;
    expect(maxDifference(flat(logits), flat(expected))).toBeLessThan(1e-5);
    const { logits: cachedLogits, cache } = model.runWithCache(tokens);
    cache.dispose();
    const generated = await model.generate([3, 7], { maxNewTokens: 4, temperature: 0 });
    const generatedByCopy = await reference.generate([3, 7], { maxNewTokens: 4, temperature: 0 });
    expect(generated.tokens).toEqual(generatedByCopy.tokens);
    tf.dispose([logits, expected, cachedLogits]);
    expect(view.materialized).toBe(false);
    expect(model.numParams()).toBe(reference.numParams());
    // Asking for W_U itself makes it, once, with W_E's values transposed.
    expect(model.parameter('unembed.W_U').shape).toEqual([config.dModel, config.dVocab]);
    expect(view.materialized).toBe(true);
    expect(Array.from(view.data)).toEqual(Array.from(copied.get('unembed.W_U')!.data));
    model.dispose();
    reference.dispose();
  });

  it('refuses a residual of the wrong shape, naming both shapes', () => {
    const config = tinyConfig();
    const model = new HookedTransformer(config, randomWeights(config, 1), { engine });
    const before = tf.memory().numTensors;
    for (const shape of [[2, config.dModel + 1], [0, config.dModel], [1, 2, config.dModel]]) {
      const bad = tf.zeros(shape);
      expect(() => model.unembedResidual(bad as tf.Tensor2D)).toThrow(`unembedResidual: residual has shape [${shape.join(', ')}], expected [rows ≥ 1, ${config.dModel}]`);
      bad.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

function flat(tensor: tf.Tensor): number[][] {
  return tf.tidy(() => tensor.reshape([-1, tensor.shape[tensor.shape.length - 1]!]).arraySync() as number[][]);
}
