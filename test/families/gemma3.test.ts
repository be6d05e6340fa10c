/**
 * Gemma 3 text (modeling_gemma3.py) on both engines against its float64 reference (see
 * gemmaParity.ts), incl. the text half of a multimodal checkpoint; the loader's mapping and refusals.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGemma, type TinyGemmaOptions } from '../fixtures/gemmaCheckpoint.ts';
import { describeGemmaParity } from './gemmaParity.ts';

describeGemmaParity([
  { name: 'GQA 4/2, tied, 5 local : 1 global, q/k norms, two rope bases', options: { family: 'gemma3', seed: 1403 } },
  {
    name: 'text half of Gemma3ForConditionalGeneration, MQA, BF16, layer_types, 7 layers, attention soft cap',
    options: { family: 'gemma3', seed: 1404, multimodal: true, nKvHeads: 1, dtype: 'BF16', layerTypes: true, nLayers: 7, configOverrides: { attn_logit_softcapping: 1.5 } },
  },
]);

let scratch: string;
beforeAll(() => { scratch = mkdtempSync(join(tmpdir(), 'hooklens-gemma3-config-')); });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Gemma 3 loader', () => {
  const write = (options: TinyGemmaOptions) => writeTinyGemma(mkdtempSync(join(scratch, 'config-')), options).dir;

  it('maps Gemma 3: 5 local : 1 global, rope_local_base_freq on local layers, per-head q/k norms', () => {
    const { config, format } = loadCheckpoint(write({ family: 'gemma3', seed: 1412, nLayers: 7 }));
    expect(format).toBe('huggingface-gemma3');
    expect(config).toMatchObject({
      family: 'gemma3', qkNorm: 'head', sandwichNorms: true, rotaryBase: 1_000_000, rotaryBaseLocal: 10000, windowSize: 3,
      attnTypes: ['local', 'local', 'local', 'local', 'local', 'global', 'local'],
    });
    const underscored = loadCheckpoint(write({ family: 'gemma3', seed: 1412, nLayers: 4, configOverrides: { sliding_window_pattern: undefined, _sliding_window_pattern: 2 } })).config;
    expect(underscored.attnTypes).toEqual(['local', 'global', 'local', 'global']);
    expect(config.attnScoresSoftCap).toBeUndefined();
    expect(config.outputLogitsSoftCap).toBeUndefined();
    // transformers 5 writes the bases per layer type under rope_parameters.
    const v5 = loadCheckpoint(write({ family: 'gemma3', seed: 1413, configOverrides: {
      rope_theta: undefined, rope_local_base_freq: undefined, rope_scaling: undefined,
      rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 500000 }, sliding_attention: { rope_type: 'default', rope_theta: 5000 } },
    } })).config;
    expect(v5).toMatchObject({ rotaryBase: 500000, rotaryBaseLocal: 5000 });
  });

  it.each([
    [{ rope_scaling: { rope_type: 'linear', factor: 8 } }, /"rope_scaling" .* is not supported/],
    [{ rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_theta: 1e4 } } }, /"rope_parameters\.full_attention\.rope_type" is "linear"/],
    [{ layer_types: ['sliding_attention', 'sliding_attention', 'global', 'full_attention', 'full_attention', 'full_attention'] }, /"layer_types" must be a list of 6/],
    [{ use_bidirectional_attention: true }, /use_bidirectional_attention = true is not supported/],
  ])('refuses Gemma 3 %j with an error naming the key', (overrides, message) => {
    expect(() => loadCheckpoint(write({ family: 'gemma3', seed: 1414, configOverrides: overrides }))).toThrow(message);
  });

  it('refuses a multimodal Gemma 3 config without text_config, and a q_norm of the wrong width, naming them', () => {
    const dir = write({ family: 'gemma3', seed: 1415, multimodal: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3' }));
    expect(() => loadCheckpoint(dir)).toThrow(/needs a "text_config" object/);
    const wide = write({ family: 'gemma3', seed: 1416, configOverrides: { head_dim: 4 } });
    expect(() => loadCheckpoint(wide)).toThrow(/"model\.layers\.0\.self_attn\.q_proj\.weight" has shape \[32, 16\], expected \[16, 16\]/);
  });

  it('a hooklens checkpoint saved from it keeps every Gemma field', () => {
    const loaded = loadCheckpoint(write({ family: 'gemma3', seed: 1417, nLayers: 7, configOverrides: { attn_logit_softcapping: 1.5, final_logit_softcapping: 2.5 } }));
    const dir = mkdtempSync(join(scratch, 'saved-'));
    saveCheckpoint(dir, loaded.config, loaded.weights);
    const again = loadCheckpoint(dir);
    expect(again.format).toBe('hooklens');
    expect(again.config).toEqual(loaded.config);
    expect([...again.weights.keys()].sort()).toEqual([...loaded.weights.keys()].sort());
  });
});
