import { beforeAll, describe, expect, it } from 'vitest';
import { estimateCacheBytes, hookNamesFor, hookShape, initBackend, selectHookNames } from '../../src/index.ts';
import type { HookName } from '../../src/index.ts';
import { randomModel, tinyConfig } from '../randomModel.ts';

beforeAll(async () => { await initBackend(); });

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

  it('the model method adds the logits, separately: by hand for d_vocab 23', () => {
    const model = randomModel(); // tinyConfig: d_model 16, 4 heads, d_vocab 23, 2 layers
    const names: HookName[] = ['blocks.0.attn.hook_pattern', 'blocks.1.hook_resid_post'];
    const activations = 4 * (3 * 4 * 7 * 7 + 3 * 7 * 16);
    const logits = 4 * 3 * 7 * 23;
    expect(model.estimateCacheBytes([3, 7], names)).toEqual({ activations, logits, total: activations + logits });
    // Every hook by default: what runWithCache then holds, counted from the real tensors.
    const { logits: realLogits, cache } = model.runWithCache([[1, 2, 3, 4, 5]]);
    expect(model.estimateCacheBytes([1, 5])).toEqual({ activations: cache.bytes, logits: 4 * realLogits.size, total: cache.bytes + 4 * realLogits.size });
    realLogits.dispose();
    cache.dispose();
    expect(() => model.estimateCacheBytes([0, 5])).toThrow(/tokensShape must be \[batch, pos\] of positive integers, got \[0, 5\]/);
    model.dispose();
  });
});

describe('selecting hooks by RegExp', () => {
  it('selects every matching name with the g or y flag too (test() on such a pattern resumes from lastIndex)', () => {
    const names = hookNamesFor(tinyConfig()); // 2 layers
    const expected = ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern'];
    expect(selectHookNames(names, /hook_pattern/)).toEqual(expected);
    const global = /hook_pattern/g;
    expect(selectHookNames(names, global)).toEqual(expected);
    expect(selectHookNames(names, global)).toEqual(expected); // and again: the caller's pattern is left alone
    expect(global.lastIndex).toBe(0);
    // Consecutive matching names are where a moving lastIndex used to drop every other one.
    expect(selectHookNames(names, /attn/g)).toEqual(names.filter((name) => name.includes('attn')));
    expect(selectHookNames(names, /blocks\.\d\.hook_resid_(pre|post)/gy)).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre', 'blocks.1.hook_resid_post']);
    expect(selectHookNames(names, /HOOK_Z$/gi)).toEqual(['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z']);
    // Sticky keeps its meaning, a match at the start of each name.
    expect(selectHookNames(names, /hook_embed/y)).toEqual(['hook_embed']);
    expect(selectHookNames(names, /hook_resid_post/y)).toEqual([]);
  });
});
