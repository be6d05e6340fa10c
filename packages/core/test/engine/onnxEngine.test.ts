/**
 * The onnx engine against the tfjs engine on the same weights: an editing hook at every
 * hook point (each family, every architecture) changes the logits as it does on tfjs, reads
 * during edits see the edited values, and bad hooks fail clearly without leaking tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, hookNamesFor, initBackend } from '../../src/index.ts';
import type { HookName, ModelConfig } from '../../src/index.ts';
import { randomWeights, tinyConfig } from '../randomModel.ts';
import { greedyByRerunning } from '../greedyByRerunning.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [[3, 7, 2, 9, 4, 11], [5, 5, 6, 8, 12, 2]];
const mask = [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]];

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]!);
}

function pair(overrides: Partial<ModelConfig>): { tfjs: HookedTransformer; onnx: HookedTransformer } {
  const config = tinyConfig(overrides);
  const weights = randomWeights(config, 5);
  return { tfjs: new HookedTransformer(config, weights, { engine: 'tfjs' }), onnx: new HookedTransformer(config, weights, { engine: 'onnx' }) };
}

/**
 * An edit that changes every kind of activation, norms' inputs included (not a plain shift
 * and scale, which a LayerNorm undoes); masked -inf scores stay -inf.
 */
const edit = (x: tf.Tensor) => {
  const last = x.shape[x.rank - 1]!;
  return x.mul(0.5).add(tf.range(1, last + 1).mul(0.05));
};

describe.each([
  ['gpt2-like', {}],
  ['llama-like (GQA, rotary half)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
  ['llama2c-like (rotary adjacent)', { normType: 'rmsnorm', positional: 'rotary', rotaryPairing: 'adjacent', gatedMlp: true, actFn: 'silu' }],
  ['attention-only', { attnOnly: true }],
] as const)('onnx engine, %s', (_label, overrides) => {
  let tfjs: HookedTransformer;
  let onnx: HookedTransformer;
  beforeAll(() => ({ tfjs, onnx } = pair(overrides)));
  afterAll(() => { tfjs.dispose(); onnx.dispose(); });

  it('runs on onnx and says so', () => {
    expect(onnx.engine.name).toBe('onnx');
    expect(onnx.engine.description).toMatch(/^onnx \(CPU, \d+ threads?\)$/);
    expect(tfjs.engine.name).toBe('tfjs');
  });

  it.each(hookNamesFor(tinyConfig(overrides)))('an edit at %s changes the logits exactly as on tfjs', (name) => {
    const before = tf.memory().numTensors;
    const hooks = [[name as HookName, edit]] as const;
    const plain = tfjs.forward(tokens, { attentionMask: mask });
    const expected = tfjs.runWithHooks(tokens, { attentionMask: mask, fwdHooks: hooks });
    const actual = onnx.runWithHooks(tokens, { attentionMask: mask, fwdHooks: hooks });
    // The edit must matter, or agreeing would prove nothing (pads' positional embedding only reaches pads).
    if (name !== 'hook_pos_embed') expect(maxAbsDifference(plain, expected), 'the edit changes the logits').toBeGreaterThan(1e-3);
    expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-4);
    tf.dispose([plain, expected, actual]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('caches the edited values downstream of an edit, like tfjs, and stops/starts at layers', () => {
    const before = tf.memory().numTensors;
    const hooks = [['blocks.0.hook_attn_out' as HookName, edit]] as const;
    const run = (model: HookedTransformer) => model.withHooks(hooks, () => model.runWithCache(tokens, { names: /resid|hook_z|pattern/ }));
    const a = run(tfjs);
    const b = run(onnx);
    expect(b.cache.names()).toEqual(a.cache.names());
    for (const name of a.cache.names()) expect(maxAbsDifference(a.cache.get(name), b.cache.get(name)), name).toBeLessThan(1e-4);
    expect(maxAbsDifference(a.logits, b.logits)).toBeLessThan(1e-4);
    const residual = onnx.forward(tokens, { stopAtLayer: 1 });
    expect(maxAbsDifference(residual, a.cache.get('blocks.1.hook_resid_pre'))).toBeGreaterThan(1e-3); // no hook now
    const resumed = onnx.forward(tokens, { startAtLayer: 1, residual, unembedPositions: [5, 0] });
    const full = tfjs.forward(tokens, { unembedPositions: [5, 0] });
    expect(resumed.shape).toEqual([2, 2, tfjs.config.dVocab]);
    expect(maxAbsDifference(resumed, full)).toBeLessThan(1e-4);
    tf.dispose([a.logits, b.logits, residual, resumed, full]);
    a.cache.dispose();
    b.cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('generates with its own key/value cache (no tfjs forward), token for token as tfjs and as greedy re-running', async () => {
    const prompt = [3, 7, 2];
    const steps = tfjs.config.nCtx - prompt.length - 1; // crosses every cache capacity, up to n_ctx
    const options = { maxNewTokens: steps, stopAtEos: false };
    const expected = await tfjs.generate(prompt, options);
    const before = tf.memory().numTensors;
    let actual: Awaited<ReturnType<HookedTransformer['generate']>> | undefined;
    const profile = await tf.profile(async () => { actual = await onnx.generate(prompt, options); });
    expect(tf.memory().numTensors).toBe(before);
    // tfjs' generate runs hundreds of kernels per step; the onnx engine's none.
    expect(profile.kernels).toHaveLength(0);
    expect(actual!.newTokens).toHaveLength(steps);
    expect(actual!.tokens).toEqual(expected.tokens);
    expect(actual!.tokens).toEqual(await greedyByRerunning(tfjs, prompt, steps));
    const sampled = { ...options, temperature: 0.8, seed: 3 };
    expect((await onnx.generate(prompt, sampled)).tokens).toEqual((await tfjs.generate(prompt, sampled)).tokens);
  });

  it('a hook returning the wrong shape or throwing fails naming the hook, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const wrong = () => onnx.runWithHooks(tokens, { fwdHooks: [['blocks.1.hook_resid_pre', (x) => x.slice([0, 0, 0], [1, 6, tfjs.config.dModel])]] });
    expect(wrong).toThrow(/hook at "blocks\.1\.hook_resid_pre" returned shape \[1, 6, 16\], expected \[2, 6, 16\]/);
    const failing = () => onnx.runWithHooks(tokens, { fwdHooks: [['blocks.0.attn.hook_pattern', () => { throw new Error('hook failed on purpose'); }]] });
    expect(failing).toThrow('hook failed on purpose');
    expect(tf.memory().numTensors).toBe(before);
    // The model still works after the failures.
    const logits = onnx.forward(tokens);
    const expected = tfjs.forward(tokens);
    expect(maxAbsDifference(logits, expected)).toBeLessThan(1e-4);
    tf.dispose([logits, expected]);
  });
});

describe('engine selection', () => {
  it('rejects an unknown engine and a trainable onnx model with a clear error', () => {
    const config = tinyConfig();
    const weights = randomWeights(config, 1);
    expect(() => new HookedTransformer(config, weights, { engine: 'gpu' as never })).toThrow(/unknown engine 'gpu'; valid engines: tfjs, onnx/);
    expect(() => new HookedTransformer(config, weights, { engine: 'onnx', trainable: true })).toThrow(/trainable model runs on the tfjs engine/);
  });
});
