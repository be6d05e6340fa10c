/**
 * Gemma 2 (modeling_gemma2.py) on both engines against its float64 reference (see gemmaParity.ts),
 * the loader's mapping and refusals, and how the CLI names it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../../packages/cli/test/inProcess.ts';
import { parseHubName } from '../../packages/core/src/hub/index.ts';
import { writeTinyGemma, type TinyGemmaOptions } from '../fixtures/gemmaCheckpoint.ts';
import { describeGemmaParity } from './gemmaParity.ts';

describeGemmaParity([
  { name: 'GQA 4/2, tied, soft caps', options: { family: 'gemma2', seed: 1401 } },
  { name: 'MHA, untied, BF16, sharded, layer_types, 3 layers', options: { family: 'gemma2', seed: 1402, nKvHeads: 4, tied: false, dtype: 'BF16', sharded: true, layerTypes: true, nLayers: 3 } },
]);

let scratch: string;
beforeAll(() => { scratch = mkdtempSync(join(tmpdir(), 'hooklens-gemma2-config-')); });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Gemma 2 loader', () => {
  const write = (options: TinyGemmaOptions) => writeTinyGemma(mkdtempSync(join(scratch, 'config-')), options).dir;

  it('maps Gemma 2 config.json onto the config TransformerLens uses', () => {
    const { config, format, weights } = loadCheckpoint(write({ family: 'gemma2', seed: 1410, nLayers: 4 }));
    expect(format).toBe('huggingface-gemma2');
    expect(config).toMatchObject({
      family: 'gemma2', dModel: 16, dHead: 8, nHeads: 4, nKvHeads: 2, actFn: 'gelu_new', gatedMlp: true, sandwichNorms: true,
      embedScale: Math.fround(4), attnScale: Math.sqrt(6), attnScoresSoftCap: 1.5, outputLogitsSoftCap: 2.5,
      attnTypes: ['local', 'global', 'local', 'global'], windowSize: 3, tiedEmbeddings: true, rotaryBase: 10000,
    });
    expect(config.rotaryBaseLocal).toBeUndefined();
    expect(loadCheckpoint(write({ family: 'gemma2', seed: 1410, configOverrides: { sliding_window: undefined, sliding_window_size: 5 } })).config.windowSize).toBe(5);
    // Gemma's x̂·(1 + w) becomes an ordinary RMSNorm weight at load, as TransformerLens' conversion does.
    const fixture = writeTinyGemma(mkdtempSync(join(scratch, 'norms-')), { family: 'gemma2', seed: 1410, nLayers: 4 });
    const stored = fixture.hf.get('model.layers.3.post_feedforward_layernorm.weight')!.data;
    expect(Array.from(weights.get('blocks.3.ln2_post.w')!.data)).toEqual(Array.from(stored, (w) => Math.fround(w + 1)));
    expect(weights.get('blocks.0.ln1_post.w')!.data[0]).toBe(Math.fround(fixture.hf.get('model.layers.0.post_attention_layernorm.weight')!.data[0] + 1));
  });

  it.each([
    [{ num_key_value_heads: 3 }, /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    [{ layer_types: ['sliding_attention'] }, /"layer_types" must be a list of 2 .*num_hidden_layers/],
    [{ sliding_window: undefined }, /missing required field "sliding_window" \(or "sliding_window_size"\)/],
    [{ attn_logit_softcapping: -1 }, /"attn_logit_softcapping" must be a positive number or null/],
    [{ final_logit_softcapping: 'big' }, /"final_logit_softcapping" must be a number/],
    [{ query_pre_attn_scalar: 0 }, /"query_pre_attn_scalar" must be a positive number/],
    [{ hidden_activation: 'gelu_fancy' }, /"hidden_activation" is "gelu_fancy"/],
    [{ attention_bias: true }, /attention_bias = true is not supported/],
    [{ rope_scaling: { rope_type: 'linear', factor: 8 } }, /"rope_scaling" .* is not supported/],
  ])('refuses Gemma 2 %j with an error naming the key', (overrides, message) => {
    expect(() => loadCheckpoint(write({ family: 'gemma2', seed: 1411, configOverrides: overrides }))).toThrow(message);
  });
});

describe('Gemma in the CLI and the hub names', () => {
  it('hooklens info names the family and its sliding-window layers', async () => {
    const dir = writeTinyGemma(mkdtempSync(join(scratch, 'info-')), { family: 'gemma2', seed: 1420, nLayers: 4 }).dir;
    const result = await runCliHere(['info', '--model', dir]);
    expect(result.code).toBe(0);
    const row = (key: string) => new RegExp(`^${key}\\s{2,}(.*)$`, 'm').exec(result.stdout)?.[1];
    expect(row('family')).toBe('Gemma 2 (gemma2)');
    expect(row('local attn')).toBe('sliding window 3 on 2 of 4 layers');
  });

  it('pull knows gemma-2-2b and gemma-3-270m', () => {
    expect(parseHubName('gemma-2-2b')).toEqual({ repo: 'google/gemma-2-2b' });
    expect(parseHubName('Gemma-3-270M')).toEqual({ repo: 'google/gemma-3-270m' });
  });
});
