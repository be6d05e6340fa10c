/**
 * Small random models for tests (subpath "@hooklens/core/testing"): a tiny config with any
 * field overridden, seeded random weights for it, and the model built from both. Other
 * packages' tests build their fixtures from here rather than reaching into core's test folder.
 *
 * @example
 * import { randomModel } from '@hooklens/core/testing';
 * const model = randomModel({ nLayers: 3, normType: 'rmsnorm' }, 7);
 */
import { HookedTransformer, seededRandom, weightSpecs } from '../index.ts';
import type { ModelConfig, WeightMap } from '../index.ts';

/** A config for small in-memory test models; override what a test needs. */
export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    family: 'hooklens', dModel: 16, nLayers: 2, nHeads: 4, nKvHeads: 4, dHead: 4, dMlp: 32, dVocab: 23, nCtx: 24,
    actFn: 'gelu_new', gatedMlp: false, normType: 'layernorm', eps: 1e-5, positional: 'learned',
    rotaryBase: 10000, rotaryDim: 4, rotaryPairing: 'half', tiedEmbeddings: false, attnOnly: false,
    defaultPrependBos: false, bosTokenId: 0, eosTokenId: 1,
    ...overrides,
  };
}

export function randomWeights(config: ModelConfig, seed = 1): WeightMap {
  const random = seededRandom(seed);
  const weights: WeightMap = new Map();
  for (const [name, spec] of weightSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const isNormWeight = /\.w$/.test(name);
    const data = Float32Array.from({ length: size }, () => (isNormWeight ? 1 : 0) + (random() - 0.5) * (isNormWeight ? 0.2 : 0.6));
    weights.set(name, { shape: spec.shape, data });
  }
  return weights;
}

export function randomModel(overrides: Partial<ModelConfig> = {}, seed = 1): HookedTransformer {
  const config = tinyConfig(overrides);
  return new HookedTransformer(config, randomWeights(config, seed));
}
