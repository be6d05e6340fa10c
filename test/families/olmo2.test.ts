/**
 * OLMo 2 on both engines against the float64 reference written from modeling_olmo2.py, on tiny
 * random checkpoints in Hugging Face's layout; the loader's refusals; and what post-sublayer
 * norms mean for the tools (decompositions still sum, no norm to fold or to apply mid-stack).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadCheckpoint, loadModel } from '@hooklens/core';
import { applyLnToStack, decomposeResid } from '@hooklens/hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../packages/core/src/io/safetensors.ts';
import { writeTinyOlmo2 } from '../fixtures/olmo2Checkpoint.ts';
import { olmo2Forward } from '../reference/olmo264.ts';
import { describeFamilyParity } from './familyParity.ts';

describeFamilyParity('olmo2', [
  { name: 'MHA, untied', vocab: 97, make: (dir) => writeTinyOlmo2(dir, { seed: 601 }), reference: olmo2Forward },
  { name: 'GQA 4/2 heads, tied, BF16', vocab: 97, make: (dir) => writeTinyOlmo2(dir, { seed: 602, nKvHeads: 2, tied: true, dtype: 'BF16' }), reference: olmo2Forward },
  {
    name: 'attention_bias, sharded, 3 layers, d_head 8', vocab: 61,
    make: (dir) => writeTinyOlmo2(dir, { seed: 603, attentionBias: true, sharded: true, nLayers: 3, vocab: 61, dModel: 32, nHeads: 4, nKvHeads: 2, dMlp: 48 }),
    reference: olmo2Forward,
  },
], { qkNorm: true });

describe('olmo2 loader and tools', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hooklens-olmo2-config-'));
  beforeAll(async () => { await initBackend(); });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (options: Parameters<typeof writeTinyOlmo2>[1]) => writeTinyOlmo2(mkdtempSync(join(scratch, 'c-')), options).dir;

  it('reads the family, post-sublayer norms, full-width q/k norms and eps from config.json', () => {
    const { config, format } = loadCheckpoint(write({ seed: 610, nKvHeads: 2 }));
    expect(format).toBe('huggingface-olmo2');
    expect(config).toMatchObject({ family: 'olmo2', dHead: 4, nKvHeads: 2, qkNorm: 'full', normPlacement: 'post', eps: 1e-6, rotaryBase: 500000, tiedEmbeddings: false });
    // Olmo2Config's rms_norm_eps default is 1e-5 (Llama's is 1e-6).
    expect(loadCheckpoint(write({ seed: 610, configOverrides: { rms_norm_eps: undefined } })).config.eps).toBe(1e-5);
  });

  it.each([
    [{ num_key_value_heads: 3 }, /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    [{ hidden_size: 18 }, /hidden_size \(18\) is not a multiple of num_attention_heads \(4\)/],
    [{ rope_scaling: { rope_type: 'linear', factor: 2 } }, /rope_scaling .* is not supported/],
    [{ rms_norm_eps: 'small' }, /"rms_norm_eps" must be a number/],
  ])('refuses %j with an error naming the key', (overrides, message) => {
    expect(() => loadCheckpoint(write({ seed: 611, configOverrides: overrides }))).toThrow(message);
  });

  it('refuses a per-head (Qwen3-shaped) k_norm, naming the tensor and both shapes', () => {
    const dir = mkdtempSync(join(scratch, 'norm-'));
    const fixture = writeTinyOlmo2(dir, { seed: 612, nLayers: 1, nKvHeads: 2 });
    const perHead = (name: string) => name.endsWith('k_norm.weight');
    writeSafetensors(join(dir, 'model.safetensors'), new Map([...fixture.hf].map(([name, t]) => [name, perHead(name)
      ? { shape: [4], data: Float32Array.from(t.data.subarray(0, 4)) }
      : { shape: t.shape, data: Float32Array.from(t.data) }])));
    expect(() => loadCheckpoint(dir)).toThrow(/"model\.layers\.0\.self_attn\.k_norm\.weight" has shape \[4\], expected \[8\]/);
  });

  it('hook_attn_out and hook_mlp_out are what joins the residual stream, so decomposeResid sums to resid_post', async () => {
    const model = await loadModel(write({ seed: 613 }));
    const tokens = [[5, 9, 2, 41, 7]];
    const { logits, cache } = model.runWithCache(tokens);
    const { stack } = decomposeResid(model, cache);
    const summed = tf.tidy(() => stack.sum(0).sub(cache.get('blocks.1.hook_resid_post')).abs().max().dataSync()[0]);
    expect(summed).toBeLessThan(1e-5);
    expect(() => applyLnToStack(model, cache, stack, { layer: 1 })).toThrow(/no norm reads this model's residual stream before ln_final/);
    const normed = applyLnToStack(model, cache, stack);
    normed.dispose();
    stack.dispose();
    logits.dispose();
    cache.dispose();
    model.dispose();
  });

  it('refuses to fold ln1 / ln2, which act on sublayer outputs', async () => {
    await expect(loadModel(write({ seed: 614 }), { processing: { foldLayerNorm: true } })).rejects.toThrow(/normalise the sublayer outputs/);
  });
});
