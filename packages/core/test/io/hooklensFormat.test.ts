import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config.ts';
import { weightSpecs as canonicalShapes } from '../../src/weights.ts';
import { loadCheckpoint } from '../../src/io/detect.ts';
import { loadHooklens, saveCheckpoint } from '../../src/io/hooklensFormat.ts';
import { loadHuggingFace } from '../../src/io/huggingface.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import type { WeightMap } from '../../src/weights.ts';
import { expectLoadError, tempDir, writeJson } from './helpers.ts';
import { gpt2Config, gpt2Tensors, llamaConfig, llamaTensors, writeHfDir } from './fixtures.ts';

function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    family: 'hooklens', dModel: 4, nLayers: 1, nHeads: 2, nKvHeads: 2, dHead: 2, dMlp: 8, dVocab: 5, nCtx: 6,
    actFn: 'gelu', gatedMlp: false, normType: 'layernorm', eps: 1e-5, positional: 'learned', rotaryBase: 10000,
    rotaryDim: 0, rotaryPairing: 'half', tiedEmbeddings: false, attnOnly: true, defaultPrependBos: false, bosTokenId: 4, ...overrides,
  };
}

/** Every required canonical weight (and b_Q), with distinct values. */
function tinyWeights(config: ModelConfig): WeightMap {
  const weights: WeightMap = new Map();
  let k = 0;
  for (const [name, { shape, optional }] of canonicalShapes(config)) {
    if (optional && !name.endsWith('b_Q')) continue;
    weights.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => k++ / 7) });
  }
  return weights;
}

describe('hooklens checkpoint format', () => {
  it('round-trips config and weights, atomically and with nothing left over', () => {
    const dir = join(tempDir(), 'nested', 'ckpt');
    const config = tinyConfig({ stopTokenIds: [4, 1] });
    const weights = tinyWeights(config);
    saveCheckpoint(dir, config, weights);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ model_type: 'hooklens', hooklens_config: config });
    const loaded = loadHooklens(dir);
    expect(loaded).toMatchObject({ format: 'hooklens', source: dir, config });
    expect(loaded.weights).toEqual(weights);
    expect(loadCheckpoint(dir).weights).toEqual(weights);
    // Overwriting in place works too.
    saveCheckpoint(dir, config, weights, { dtype: 'BF16' });
    expect(readSafetensors(join(dir, 'model.safetensors')).dtypes.get('embed.W_E')).toBe('BF16');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('converts a Hugging Face checkpoint and reads it back unchanged', () => {
    for (const [config, tensors] of [[gpt2Config(), gpt2Tensors()], [llamaConfig(), llamaTensors({ lmHead: true, bias: true })]] as const) {
      const hf = loadHuggingFace(writeHfDir(tempDir(), config, tensors, { tokenizer: true }));
      const out = tempDir();
      saveCheckpoint(out, hf.config, hf.weights);
      writeFileSync(join(out, 'tokenizer.json'), '{}');
      const back = loadCheckpoint(out);
      expect(back.format).toBe('hooklens');
      expect(back.config).toEqual(hf.config);
      expect(back.weights).toEqual(hf.weights);
      expect(back.tokenizerPath).toBe(join(out, 'tokenizer.json'));
    }
  });

  it('rebuilds W_U from W_E for a tied checkpoint saved without it', () => {
    const dir = tempDir();
    const config = tinyConfig({ tiedEmbeddings: true });
    const weights = tinyWeights(config);
    weights.delete('unembed.W_U');
    writeJson(join(dir, 'config.json'), { model_type: 'hooklens', hooklens_config: config });
    writeSafetensors(join(dir, 'model.safetensors'), weights);
    const loaded = loadHooklens(dir);
    const wE = loaded.weights.get('embed.W_E')!;
    const wU = loaded.weights.get('unembed.W_U')!;
    expect(wU.shape).toEqual([4, 5]);
    expect(wU.data[1 * 5 + 3]).toBe(wE.data[3 * 4 + 1]);
  });

  it('refuses to save weights that do not match the config, writing nothing', () => {
    const dir = join(tempDir(), 'out');
    const config = tinyConfig();
    const weights = tinyWeights(config);
    weights.set('blocks.0.attn.W_K', { shape: [2, 2, 4], data: new Float32Array(16) });
    expectLoadError(() => saveCheckpoint(dir, config, weights), 'blocks.0.attn.W_K', '[2, 2, 4]', '[2, 4, 2]');
    weights.delete('blocks.0.attn.W_K');
    expectLoadError(() => saveCheckpoint(dir, config, weights), 'blocks.0.attn.W_K');
    expectLoadError(() => saveCheckpoint(dir, { ...config, nKvHeads: 3 }, tinyWeights(config)), 'nKvHeads');
    expect(() => readdirSync(dir)).toThrow();
  });

  it('names bad or missing config fields and missing weights', () => {
    const dir = tempDir();
    const config = tinyConfig();
    saveCheckpoint(dir, config, tinyWeights(config));
    const configPath = join(dir, 'config.json');
    const { dModel: _, ...noDModel } = config;
    writeJson(configPath, { model_type: 'hooklens', hooklens_config: noDModel });
    expectLoadError(() => loadHooklens(dir), configPath, '"dModel"');
    writeJson(configPath, { model_type: 'hooklens', hooklens_config: { ...config, normType: 'batchnorm' } });
    expectLoadError(() => loadHooklens(dir), configPath, '"normType"', 'batchnorm');
    writeJson(configPath, { model_type: 'hooklens', hooklens_config: { ...config, stopTokenIds: [1, -2] } });
    expectLoadError(() => loadHooklens(dir), configPath, '"stopTokenIds"', 'a list of non-negative integers', '[1,-2]');
    writeJson(configPath, { model_type: 'hooklens' });
    expectLoadError(() => loadHooklens(dir), configPath, 'hooklens_config');
    // Config wants an MLP the weights do not have.
    writeJson(configPath, { model_type: 'hooklens', hooklens_config: { ...config, attnOnly: false } });
    expectLoadError(() => loadHooklens(dir), 'blocks.0.ln2.w');
  });

  it('reports a missing weights file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    writeJson(join(dir, 'x', 'config.json'), { model_type: 'hooklens', hooklens_config: tinyConfig() });
    expectLoadError(() => loadHooklens(join(dir, 'x')), join(dir, 'x'), 'model.safetensors');
  });
});
