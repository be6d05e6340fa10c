/**
 * Qwen3 on both engines against the float64 reference written from modeling_qwen3.py, on tiny
 * random checkpoints in Hugging Face's layout; and the loader's refusals, each naming the key.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, loadCheckpoint } from '@hooklens/core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../packages/core/src/io/safetensors.ts';
import { writeTinyQwen3 } from '../fixtures/qwen3Checkpoint.ts';
import { qwen3Forward } from '../reference/qwen364.ts';
import { describeFamilyParity } from './familyParity.ts';

describeFamilyParity('qwen3', [
  { name: 'GQA 4/2 heads, head_dim 8 ≠ hidden/heads, untied', vocab: 97, make: (dir) => writeTinyQwen3(dir, { seed: 501 }), reference: qwen3Forward },
  { name: 'MHA, tied, BF16', vocab: 97, make: (dir) => writeTinyQwen3(dir, { seed: 502, nKvHeads: 4, tied: true, dtype: 'BF16' }), reference: qwen3Forward },
  {
    name: 'MQA, attention_bias, sharded, 3 layers', vocab: 61,
    make: (dir) => writeTinyQwen3(dir, { seed: 503, nKvHeads: 1, attentionBias: true, sharded: true, nLayers: 3, vocab: 61, headDim: 4 }),
    reference: qwen3Forward,
  },
], { qkNorm: true });

describe('qwen3 loader', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'hooklens-qwen3-config-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (options: Parameters<typeof writeTinyQwen3>[1]) => writeTinyQwen3(mkdtempSync(join(scratch, 'c-')), options).dir;

  it('reads the family, head_dim, q/k norms and the BOS default from config.json', () => {
    const { config, format } = loadCheckpoint(write({ seed: 510 }));
    expect(format).toBe('huggingface-qwen3');
    expect(config).toMatchObject({ family: 'qwen3', dModel: 16, nHeads: 4, nKvHeads: 2, dHead: 8, rotaryDim: 8, qkNorm: 'head', defaultPrependBos: false, nCtx: 64, rotaryBase: 1000000 });
    expect(config.normPlacement ?? 'pre').toBe('pre');
  });

  it('loads a sliding-window config within its window, where HF sliding attention equals full attention', async () => {
    const sliding = { use_sliding_window: true, sliding_window: 5, max_window_layers: 1 };
    expect(loadCheckpoint(write({ seed: 511, configOverrides: sliding })).config.nCtx).toBe(5);
    // Without use_sliding_window, HF ignores sliding_window; max_window_layers past the last layer slides none.
    expect(loadCheckpoint(write({ seed: 511, configOverrides: { ...sliding, use_sliding_window: false } })).config.nCtx).toBe(64);
    expect(loadCheckpoint(write({ seed: 511, configOverrides: { ...sliding, max_window_layers: 2 } })).config.nCtx).toBe(64);
    expect(loadCheckpoint(write({ seed: 511, configOverrides: { ...sliding, max_window_layers: 2, layer_types: ['full_attention', 'sliding_attention'] } })).config.nCtx).toBe(5);
    const model = await loadModel(write({ seed: 511, configOverrides: sliding }));
    expect(() => model.forward([[1, 2, 3, 4, 5, 6]])).toThrow(/6.*n_ctx|n_ctx.*5/);
    model.dispose();
  });

  it("reads the rotary base from newer transformers' rope_parameters", () => {
    const overrides = { rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: 'default', rope_theta: 250000 } };
    expect(loadCheckpoint(write({ seed: 516, configOverrides: overrides })).config.rotaryBase).toBe(250000);
  });

  it.each([
    [{ rope_parameters: { rope_type: 'yarn', factor: 4, rope_theta: 10000 } }, /"rope_parameters" has rope_type "yarn"; only "default"/],
    [{ num_key_value_heads: 3 }, /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    [{ head_dim: 0 }, /"head_dim" must be a positive integer/],
    [{ rope_scaling: { type: 'yarn', factor: 4 } }, /rope_scaling .* is not supported/],
    [{ use_sliding_window: true, sliding_window: 5, layer_types: ['full_attention'] }, /"layer_types" must list/],
    [{ use_sliding_window: true, sliding_window: 5, max_window_layers: -1 }, /"max_window_layers" must be a non-negative integer/],
    [{ hidden_act: 'gelu_fast_v9' }, /"hidden_act" is "gelu_fast_v9"/],
  ])('refuses %j with an error naming the key', (overrides, message) => {
    expect(() => loadCheckpoint(write({ seed: 512, configOverrides: overrides }))).toThrow(message);
  });

  it('refuses a q_norm of the wrong width, naming the tensor and both shapes', () => {
    const dir = write({ seed: 513 });
    // head_dim 8 in the config, q_norm [4]: stored as if head_dim were hidden/heads.
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), head_dim: 4 }));
    expect(() => loadCheckpoint(dir)).toThrow(/q_proj\.weight" has shape \[32, 16\], expected \[16, 16\]/);
    const bad = mkdtempSync(join(scratch, 'norm-'));
    const fixture = writeTinyQwen3(bad, { seed: 514, nLayers: 1 });
    const tensors = new Map([...fixture.hf].map(([name, t]) => [name, { shape: name.endsWith('q_norm.weight') ? [4] : t.shape, data: name.endsWith('q_norm.weight') ? Float32Array.from(t.data.subarray(0, 4)) : Float32Array.from(t.data) }]));
    writeSafetensors(join(bad, 'model.safetensors'), tensors);
    expect(() => loadCheckpoint(bad)).toThrow(/"model\.layers\.0\.self_attn\.q_norm\.weight" has shape \[4\], expected \[8\]/);
  });

  it('an unknown model_type lists Qwen3 and OLMo 2 among the supported ones', () => {
    const dir = write({ seed: 515, configOverrides: { model_type: 'qwen9', architectures: ['Qwen9ForCausalLM'] } });
    expect(() => loadCheckpoint(dir)).toThrow(/unknown architecture.*Qwen3 \(model_type "qwen3" \/ Qwen3ForCausalLM\).*OLMo 2 \(model_type "olmo2"/);
  });
});
