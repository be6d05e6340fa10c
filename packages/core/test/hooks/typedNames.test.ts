/**
 * Hook names are typed across the API: each `@ts-expect-error` below fails `pnpm typecheck`
 * if the misspelt name on the next line ever compiles. The same calls run here too, and an
 * unknown name is a run-time error suggesting the nearest valid names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hookName, initBackend, UnknownHookError } from '../../src/index.ts';
import type { ForwardHook, HookName } from '../../src/index.ts';
import { randomModel } from '../randomModel.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [[3, 7, 2, 9]];
const noop = () => undefined;
const nearest = /unknown hook name "blocks\.0\.attn\.hook_patern"; did you mean "blocks\.0\.attn\.hook_pattern"/;

describe('typed hook names', () => {
  it('reject a misspelt literal at compile time and at run time in every API that takes one', async () => {
    const model = randomModel();
    const before = tf.memory().numTensors;
    // @ts-expect-error misspelt name in runWithHooks
    expect(() => model.runWithHooks(tokens, { fwdHooks: [['blocks.0.attn.hook_patern', noop]] })).toThrow(nearest);
    // @ts-expect-error misspelt name in withHooks
    expect(() => model.withHooks([['blocks.0.attn.hook_patern', noop]], () => 1)).toThrow(nearest);
    // @ts-expect-error misspelt name in generate's fwdHooks
    await expect(model.generate([1, 2], { maxNewTokens: 1, fwdHooks: [['blocks.0.attn.hook_patern', noop]] })).rejects.toThrow(nearest);
    // @ts-expect-error misspelt name in addHook
    expect(() => model.addHook('blocks.0.attn.hook_patern', noop)).toThrow(nearest);
    // @ts-expect-error misspelt name in runWithCache's names
    expect(() => model.runWithCache(tokens, { names: ['blocks.0.attn.hook_patern'] })).toThrow(nearest);
    // @ts-expect-error misspelt name in a ForwardHook
    const hook: ForwardHook = ['hook_embd', noop];
    expect(() => model.runWithHooks(tokens, { fwdHooks: [hook] })).toThrow(/unknown hook name "hook_embd"; did you mean "hook_embed"/);

    const { logits, cache } = model.runWithCache(tokens, { names: ['blocks.0.attn.hook_pattern'] });
    // @ts-expect-error misspelt name in ActivationCache.get
    expect(() => cache.get('blocks.0.attn.hook_patern')).toThrow(/"blocks\.0\.attn\.hook_patern" is not in the cache; cached: "blocks\.0\.attn\.hook_pattern"/);
    // A well-formed name the model lacks (no layer 7) is caught at run time.
    expect(() => cache.get('blocks.7.attn.hook_pattern')).toThrow(/not in the cache/);
    expect(() => model.runWithHooks(tokens, { fwdHooks: [['blocks.7.attn.hook_z', noop]] })).toThrow(/unknown hook name "blocks\.7\.attn\.hook_z"; did you mean "blocks\.0\.attn\.hook_z", "blocks\.1\.attn\.hook_z"/);
    tf.dispose(logits);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('accept names built at run time through hookName(), which checks their form', () => {
    const model = randomModel();
    const layer = 1;
    const suffix: string = 'hook_resid_post'; // e.g. read from a file
    const name = hookName(`blocks.${layer}.${suffix}`);
    const { logits, cache } = model.runWithCache(tokens, { names: [name] });
    expect(cache.get(name).shape).toEqual([1, 4, model.config.dModel]);
    tf.dispose(logits);
    cache.dispose();
    // A template with a number in it is typed already; no hookName() needed.
    const typed: HookName = `blocks.${layer}.attn.hook_z`;
    expect(typed).toBe('blocks.1.attn.hook_z');
    expect(hookName('ln_final.hook_scale')).toBe('ln_final.hook_scale');
    expect(() => hookName('blocks.3.attn.hook_patern')).toThrow(UnknownHookError);
    expect(() => hookName('blocks.3.attn.hook_patern')).toThrow(/did you mean "blocks\.3\.attn\.hook_pattern"/);
    expect(() => hookName('blocks.x.hook_resid_pre')).toThrow(/unknown hook name "blocks\.x\.hook_resid_pre"/);
    expect(() => hookName('ln_final.hook_scal')).toThrow(/did you mean "ln_final\.hook_scale"/);
    model.dispose();
  });
});
