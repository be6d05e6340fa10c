/**
 * Generation with hooks active on the onnx engine, which keeps its key/value cache in
 * fixed-capacity host buffers: the same tokens as tfjs (greedy, and sampled with a seed), the
 * hooks called with the same names, shapes and values per step, edits matching a re-run of
 * the whole sequence with the same edit (no cache at all), and a failing hook leaking neither
 * tensors nor sessions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '../../src/index.ts';
import type { ForwardHook, HookName, ModelConfig } from '../../src/index.ts';
import { OrtSession } from '../../src/engine/ort.ts';
import { greedyByRerunning } from '../greedyByRerunning.ts';
import { randomWeights, tinyConfig } from '../randomModel.ts';

beforeAll(async () => { await initBackend(); });

const prompt = [3, 7, 2];

interface HookCall {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A hook at every point that records what it is handed and changes nothing. */
function recorder(calls: HookCall[]): ForwardHook[] {
  return [[() => true, (x, point) => { calls.push({ name: point.name, shape: x.shape, data: x.dataSync() as Float32Array }); }]];
}

/** Largest |a - b| over two recordings; equal infinities (masked scores) count as equal. */
function largestDifference(a: Float32Array, b: Float32Array): number {
  let largest = 0;
  a.forEach((value, i) => {
    if (value !== b[i]) largest = Math.max(largest, Math.abs(value - b[i]!));
  });
  return largest;
}

/**
 * An edit whose effect depends on the key (or feature) index, so a cache slot out of place
 * would show. Patterns are scaled, not shifted, so masked (zero) entries stay zero and a
 * re-run of the whole sequence sees the same edit at each position as a cached step does.
 */
function editAt(name: HookName): ForwardHook[] {
  return [[name, (x) => {
    const last = x.shape[x.rank - 1]!;
    const ramp = tf.range(1, last + 1);
    return name.endsWith('hook_pattern') ? x.mul(ramp.mul(0.4)) : x.mul(0.5).add(ramp.mul(0.3));
  }]];
}

describe.each([
  ['gpt2-like', {}, ['blocks.0.attn.hook_k', 'blocks.1.attn.hook_attn_scores', 'blocks.0.attn.hook_pattern', 'blocks.1.hook_resid_post']],
  ['llama-like (GQA, rotary)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 },
    ['blocks.0.attn.hook_rot_k', 'blocks.1.attn.hook_attn_scores', 'blocks.0.attn.hook_pattern', 'blocks.0.mlp.hook_post']],
] as const)('generation with hooks on the onnx engine, %s', (_label, overrides: Partial<ModelConfig>, edited) => {
  const config = tinyConfig(overrides);
  const weights = randomWeights(config, 5);
  let tfjs: HookedTransformer;
  let onnx: HookedTransformer;
  beforeAll(() => {
    tfjs = new HookedTransformer(config, weights, { engine: 'tfjs' });
    onnx = new HookedTransformer(config, weights, { engine: 'onnx' });
  });
  afterAll(() => { tfjs.dispose(); onnx.dispose(); });
  // Up to n_ctx: the onnx cache goes through capacities 0, 8, 16 and 24, mostly with empty slots.
  const steps = config.nCtx - prompt.length - 1;
  const greedy = { maxNewTokens: steps, stopAtEos: false };

  it('reading every hook point: the same tokens, and per step the same hook calls, shapes and values as tfjs', async () => {
    const expectedCalls: HookCall[] = [];
    const expected = await tfjs.generate(prompt, { ...greedy, fwdHooks: recorder(expectedCalls) });
    const calls: HookCall[] = [];
    const before = tf.memory().numTensors;
    const actual = await onnx.generate(prompt, { ...greedy, fwdHooks: recorder(calls) });
    expect(tf.memory().numTensors).toBe(before);
    expect(actual.tokens).toEqual(expected.tokens);
    // One forward per new token but the last; every hook point of the model once per forward.
    expect(expectedCalls).toHaveLength(steps * tfjs.hookNames().length);
    expect(calls.map(({ name, shape }) => [name, shape])).toEqual(expectedCalls.map(({ name, shape }) => [name, shape]));
    const worst = Math.max(...calls.map((call, i) => largestDifference(call.data, expectedCalls[i]!.data)));
    expect(worst).toBeLessThan(1e-4);
    // A late step's pattern covers exactly the real keys: the cache's empty slots never show.
    const lastPattern = calls.findLast((call) => call.name === 'blocks.1.attn.hook_pattern')!;
    expect(lastPattern.shape).toEqual([1, config.nHeads, 1, prompt.length + steps - 1]);
  });

  it.each(edited)('an edit at %s: downstream activations and tokens as on tfjs and as re-running the whole sequence with the edit', async (name) => {
    const edit = editAt(name as HookName);
    const readout = (calls: HookCall[]): ForwardHook[] => [['ln_final.hook_normalized', (x, point) => { calls.push({ name: point.name, shape: x.shape, data: x.dataSync() as Float32Array }); }]];
    const plainCalls: HookCall[] = [];
    await onnx.generate(prompt, { ...greedy, fwdHooks: readout(plainCalls) });
    const expectedCalls: HookCall[] = [];
    const expected = await tfjs.generate(prompt, { ...greedy, fwdHooks: [...edit, ...readout(expectedCalls)] });
    const calls: HookCall[] = [];
    const before = tf.memory().numTensors;
    const actual = await onnx.generate(prompt, { ...greedy, fwdHooks: [...edit, ...readout(calls)] });
    expect(tf.memory().numTensors).toBe(before);
    expect(calls.map((call) => call.shape)).toEqual(expectedCalls.map((call) => call.shape));
    // The edit reaches the final residual stream (else agreeing would prove nothing), and does so as on tfjs.
    expect(Math.min(...calls.slice(1).map((call, i) => largestDifference(call.data, plainCalls[i + 1]!.data))), 'the edit changes every step').toBeGreaterThan(1e-3);
    expect(Math.max(...calls.map((call, i) => largestDifference(call.data, expectedCalls[i]!.data)))).toBeLessThan(1e-4);
    expect(actual.tokens).toEqual(expected.tokens);
    expect(actual.tokens).toEqual(await tfjs.withHooks(edit, () => greedyByRerunning(tfjs, prompt, steps)));
  });

  it('sampled with a seed, an edit active: the same tokens as tfjs', async () => {
    const sampled = { ...greedy, temperature: 0.9, topK: 10, seed: 11, fwdHooks: editAt(edited[1] as HookName) };
    const actual = await onnx.generate(prompt, sampled);
    expect(actual.tokens).toEqual((await tfjs.generate(prompt, sampled)).tokens);
    expect(actual.newTokens).not.toEqual((await onnx.generate(prompt, { ...greedy, fwdHooks: sampled.fwdHooks })).newTokens);
  });

  it('a hook that throws or returns the wrong shape mid-generation fails as on tfjs, leaking no tensor or session', async () => {
    const throwingOnCall = (n: number): ForwardHook[] => {
      let calls = 0;
      return [['blocks.1.attn.hook_pattern', () => {
        if (++calls === n) throw new Error(`hook failed on purpose at call ${n}`);
      }]];
    };
    const wrongShape: ForwardHook[] = [['blocks.0.attn.hook_pattern', (x) => (x.shape[2] === 1 ? x.slice([0, 0, 0, 1]) : undefined)]];
    const failure = async (model: HookedTransformer, hooks: ForwardHook[]) => (await model.generate(prompt, { ...greedy, fwdHooks: hooks }).then(() => undefined, (error: Error) => error))?.message;

    const before = tf.memory().numTensors;
    const sessionsBefore = OrtSession.live;
    expect(await failure(onnx, throwingOnCall(12))).toBe('hook failed on purpose at call 12');
    expect(await failure(onnx, wrongShape)).toBe(await failure(tfjs, wrongShape));
    expect(await failure(onnx, wrongShape)).toBe(`hook at "blocks.0.attn.hook_pattern" returned shape [1, ${config.nHeads}, 1, 3], expected [1, ${config.nHeads}, 1, 4]`);
    expect(tf.memory().numTensors).toBe(before);
    // The failed runs' sessions are the plans' own, reused by the same hooks next time, not made anew.
    const sessionsAfterFailures = OrtSession.live;
    expect(await failure(onnx, throwingOnCall(12))).toBe('hook failed on purpose at call 12');
    expect(OrtSession.live).toBe(sessionsAfterFailures);
    expect(sessionsAfterFailures - sessionsBefore).toBeLessThanOrEqual(32);
    // Still generates correctly afterwards.
    const hooks = editAt(edited[0] as HookName);
    expect((await onnx.generate(prompt, { ...greedy, fwdHooks: hooks })).tokens).toEqual((await tfjs.generate(prompt, { ...greedy, fwdHooks: hooks })).tokens);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('onnx sessions', () => {
  it('a disposed model leaves no session behind', async () => {
    const config = tinyConfig();
    const sessionsBefore = OrtSession.live;
    const model = new HookedTransformer(config, randomWeights(config, 2), { engine: 'onnx' });
    await model.generate(prompt, { maxNewTokens: 12, stopAtEos: false, fwdHooks: editAt('blocks.0.attn.hook_pattern') });
    model.forward([prompt]).dispose();
    expect(OrtSession.live).toBeGreaterThan(sessionsBefore);
    model.dispose();
    expect(OrtSession.live).toBe(sessionsBefore);
  });
});
