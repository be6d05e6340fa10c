import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend, processWeights } from '../src/index.ts';
import type { ModelConfig, ProcessingOptions } from '../src/index.ts';
import { randomWeights, tinyConfig } from './randomModel.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [[3, 7, 2, 9, 4, 11], [5, 5, 6, 8, 12, 2]];

/** Max |a − b| over two models' outputs, optionally after log-softmax (logits up to a per-position constant). */
function compare(config: ModelConfig, options: ProcessingOptions, logProbs: boolean): number {
  const weights = randomWeights(config, 7);
  // Non-trivial biases everywhere processing touches them.
  const original = new HookedTransformer(config, weights);
  const processed = processWeights(config, weights, options);
  const model = new HookedTransformer(processed.config, processed.weights);
  const before = tf.memory().numTensors;
  const difference = tf.tidy(() => {
    const transform = (x: tf.Tensor) => (logProbs ? tf.logSoftmax(x) : x);
    return transform(original.forward(tokens)).sub(transform(model.forward(tokens))).abs().max().dataSync()[0];
  });
  expect(tf.memory().numTensors).toBe(before);
  original.dispose();
  model.dispose();
  return difference;
}

describe('weight processing', () => {
  const layerNorm = tinyConfig();
  const rmsNorm = tinyConfig({ normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 });

  it.each([
    ['foldLayerNorm (LayerNorm)', layerNorm, { foldLayerNorm: true }],
    ['foldLayerNorm (RMSNorm, gated, GQA)', rmsNorm, { foldLayerNorm: true }],
    ['centerWritingWeights', layerNorm, { centerWritingWeights: true }],
    ['foldValueBiases', layerNorm, { foldValueBiases: true }],
    ['foldValueBiases (GQA)', rmsNorm, { foldValueBiases: true }],
    ['all but centerUnembed', layerNorm, { foldLayerNorm: true, centerWritingWeights: true, foldValueBiases: true }],
  ] as const)('%s keeps the logits within 1e-4', (_label, config, options) => {
    expect(compare(config, options, false)).toBeLessThan(1e-4);
  });

  it('centerUnembed keeps log-probabilities within 1e-4 (logits move by a constant per position)', () => {
    expect(compare(layerNorm, { foldLayerNorm: true, centerWritingWeights: true, centerUnembed: true, foldValueBiases: true }, true)).toBeLessThan(1e-4);
  });

  it('actually changes the weights it processes and leaves the input map untouched', () => {
    const weights = randomWeights(layerNorm, 7);
    const snapshot = Float32Array.from(weights.get('blocks.0.attn.W_Q')!.data);
    const processed = processWeights(layerNorm, weights, { foldLayerNorm: true });
    expect(Array.from(weights.get('blocks.0.attn.W_Q')!.data)).toEqual(Array.from(snapshot));
    expect(Array.from(processed.weights.get('blocks.0.attn.W_Q')!.data)).not.toEqual(Array.from(snapshot));
    expect(Array.from(processed.weights.get('blocks.0.ln1.w')!.data).every((w) => w === 1)).toBe(true);
    expect(processed.weights.has('blocks.0.ln1.b')).toBe(false);
  });

  it('refuses centring the residual of an RMSNorm model', () => {
    expect(() => processWeights(rmsNorm, randomWeights(rmsNorm), { centerWritingWeights: true })).toThrow(/needs LayerNorm/);
  });
});
