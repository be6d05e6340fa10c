import { describe, expect, it } from 'vitest';
import { estimateCacheBytes, hookNamesFor, hookShape, selectHookNames } from '../../src/index.ts';
import type { HookName } from '../../src/index.ts';
import { tinyConfig } from '../randomModel.ts';

describe('hook names', () => {
  it('are typed: a misspelt literal does not compile', () => {
    const valid: HookName = 'blocks.3.attn.hook_pattern';
    // @ts-expect-error a misspelt hook name is a compile error
    const misspelt: HookName = 'blocks.3.attn.hook_patern';
    // @ts-expect-error a misspelt top-level name is a compile error
    const badTop: HookName = 'hook_embedding';
    expect([valid, misspelt, badTop]).toHaveLength(3);
  });

  it('lists TransformerLens names per architecture', () => {
    const gpt2 = hookNamesFor(tinyConfig({ nLayers: 1 }));
    expect(gpt2).toEqual([
      'hook_embed', 'hook_pos_embed',
      'blocks.0.hook_resid_pre', 'blocks.0.ln1.hook_scale', 'blocks.0.ln1.hook_normalized',
      'blocks.0.attn.hook_q', 'blocks.0.attn.hook_k', 'blocks.0.attn.hook_v',
      'blocks.0.attn.hook_attn_scores', 'blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_z', 'blocks.0.attn.hook_result',
      'blocks.0.hook_attn_out', 'blocks.0.hook_resid_mid', 'blocks.0.ln2.hook_scale', 'blocks.0.ln2.hook_normalized',
      'blocks.0.mlp.hook_pre', 'blocks.0.mlp.hook_post', 'blocks.0.hook_mlp_out', 'blocks.0.hook_resid_post',
      'ln_final.hook_scale', 'ln_final.hook_normalized',
    ]);
    const llama = hookNamesFor(tinyConfig({ nLayers: 1, positional: 'rotary', gatedMlp: true, normType: 'rmsnorm' }));
    expect(llama).not.toContain('hook_pos_embed');
    expect(llama).toContain('blocks.0.attn.hook_rot_q');
    expect(llama).toContain('blocks.0.mlp.hook_pre_linear');
    const attnOnly = hookNamesFor(tinyConfig({ nLayers: 1, attnOnly: true }));
    expect(attnOnly.filter((name) => /mlp|ln2|resid_mid/.test(name))).toEqual([]);
  });

  it('suggests the nearest names for an unknown one', () => {
    const names = hookNamesFor(tinyConfig());
    expect(() => selectHookNames(names, ['blocks.1.attn.hook_zz' as HookName])).toThrow(/did you mean "blocks.1.attn.hook_z"/);
  });

  it('estimates the cache size from the shapes, by hand', () => {
    const config = tinyConfig(); // d_model 16, 4 heads of 4, d_mlp 32
    expect(hookShape(config, 'blocks.0.attn.hook_pattern', 2, 5)).toEqual([2, 4, 5, 5]);
    expect(estimateCacheBytes(config, [2, 5], ['blocks.0.attn.hook_pattern', 'blocks.1.mlp.hook_post', 'ln_final.hook_scale']))
      .toBe(4 * (2 * 4 * 5 * 5 + 2 * 5 * 32 + 2 * 5 * 1));
    expect(estimateCacheBytes(config, [1, 3], /hook_result/)).toBe(4 * 2 * (3 * 4 * 16));
  });
});
