import * as tf from '@tensorflow/tfjs-core';
import '../src/train/gradients.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, hookShape, initBackend } from '../src/index.ts';
import { randomModel, randomWeights, tinyConfig } from './randomModel.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [[3, 7, 2, 9, 4, 11], [5, 5, 6, 8, 12, 2]];

async function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const difference = tf.tidy(() => a.sub(b).abs().max());
  const value = (await difference.data())[0];
  difference.dispose();
  return value;
}

describe.each([
  ['gpt2-like', {}],
  ['llama-like (GQA, rotary half)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
  ['llama2c-like (rotary adjacent)', { normType: 'rmsnorm', positional: 'rotary', rotaryPairing: 'adjacent', gatedMlp: true, actFn: 'silu' }],
  ['attention-only', { attnOnly: true }],
] as const)('HookedTransformer %s', (_label, overrides) => {
  it('caches every hook with TransformerLens shapes and frees everything', () => {
    const model = randomModel(overrides);
    const before = tf.memory().numTensors;
    const { logits, cache } = model.runWithCache(tokens);
    expect(logits.shape).toEqual([2, 6, model.config.dVocab]);
    expect(cache.names()).toEqual(model.hookNames());
    for (const name of cache.names()) expect(cache.get(name).shape, name).toEqual(hookShape(model.config, name, 2, 6));
    logits.dispose();
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('gives each padded row the logits of its prompt run alone (left and right padding)', async () => {
    const model = randomModel(overrides);
    const short = [4, 9, 2];
    const long = tokens[0];
    const alone = model.forward([short]);
    for (const side of ['left', 'right'] as const) {
      const padded = side === 'left' ? [0, 0, 0, ...short] : [...short, 0, 0, 0];
      const mask = side === 'left' ? [[0, 0, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1]] : [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]];
      const logits = model.forward([padded, long], { attentionMask: mask });
      const start = side === 'left' ? 3 : 0;
      const row = logits.slice([0, start, 0], [1, 3, model.config.dVocab]);
      expect(await maxAbsDifference(row, alone)).toBeLessThan(1e-5);
      const longAlone = model.forward([long]);
      expect(await maxAbsDifference(logits.slice([1, 0, 0], [1, 6, model.config.dVocab]), longAlone)).toBeLessThan(1e-5);
      tf.dispose([logits, row, longAlone]);
    }
    alone.dispose();
    model.dispose();
  });

  it('lets a hook replace an activation, and runs with startAtLayer/stopAtLayer like a full forward', async () => {
    const model = randomModel(overrides);
    const full = model.forward(tokens);
    const residual = model.forward(tokens, { stopAtLayer: 1 });
    expect(residual.shape).toEqual([2, 6, model.config.dModel]);
    const resumed = model.forward(tokens, { startAtLayer: 1, residual });
    expect(await maxAbsDifference(full, resumed)).toBeLessThan(1e-5);
    // Zeroing every head's z removes attention's contribution except b_O.
    const seen: string[] = [];
    const edited = model.runWithHooks(tokens, { fwdHooks: [[(name) => name.endsWith('hook_z'), (z, hook) => { seen.push(hook.name); return tf.zerosLike(z); }]] });
    expect(seen).toEqual(['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z']);
    expect(await maxAbsDifference(edited, full)).toBeGreaterThan(1e-3);
    tf.dispose([full, residual, resumed, edited]);
    model.dispose();
  });

  it('generates the same tokens with the key/value cache as by re-running the sequence', async () => {
    const model = randomModel(overrides);
    const before = tf.memory().numTensors;
    const { tokens: generated } = await model.generate([3, 7, 2], { maxNewTokens: 10, stopAtEos: false });
    let sequence = [3, 7, 2];
    for (let step = 0; step < 10; step++) {
      const next = tf.tidy(() => model.forward([sequence]).slice([0, sequence.length - 1, 0], [1, 1, model.config.dVocab]).reshape([-1]).argMax());
      sequence = [...sequence, (await next.data())[0]];
      next.dispose();
    }
    expect(generated).toEqual(sequence);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('HookedTransformer hooks and errors', () => {
  it('removes scoped hooks even when the body throws, and keeps persistent ones until reset', () => {
    const model = randomModel();
    const calls: string[] = [];
    expect(() => model.withHooks([['blocks.0.hook_resid_pre', () => { calls.push('scoped'); }]], () => { model.forward(tokens).dispose(); throw new Error('boom'); })).toThrow('boom');
    model.addHook('blocks.1.hook_resid_pre', () => { calls.push('persistent'); });
    model.forward(tokens).dispose();
    model.resetHooks();
    model.forward(tokens).dispose();
    expect(calls).toEqual(['scoped', 'persistent']);
    model.dispose();
  });

  it('names unknown hooks, bad tokens, ragged batches and long sequences in its errors', () => {
    const model = randomModel();
    const before = tf.memory().numTensors;
    expect(() => model.runWithCache(tokens, { names: ['blocks.0.attn.hook_patern' as 'blocks.0.attn.hook_pattern'] })).toThrow(/unknown hook name "blocks.0.attn.hook_patern".*blocks.0.attn.hook_pattern/);
    expect(() => model.forward([[1, 2], [3]])).toThrow(/ragged batch: row 1/);
    expect(() => model.forward([1, 2, 99])).toThrow(/token id 99 at row 0, position 2/);
    expect(() => model.forward(Array.from({ length: 30 }, () => 1))).toThrow(/longer than the model's context n_ctx = 24/);
    expect(() => model.runWithHooks(tokens, { fwdHooks: [['blocks.0.hook_resid_pre', (x) => x.sum()]] })).toThrow(/hook at "blocks.0.hook_resid_pre" returned shape \[\]/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('computes hook_result only when asked, and hook_result sums to attn_out minus b_O', async () => {
    const model = randomModel();
    const { logits, cache } = model.runWithCache(tokens, { names: ['blocks.0.attn.hook_result', 'blocks.0.hook_attn_out'] });
    const summed = tf.tidy(() => cache.get('blocks.0.attn.hook_result').sum(2).add(model.parameter('blocks.0.attn.b_O')));
    expect(await maxAbsDifference(summed, cache.get('blocks.0.hook_attn_out'))).toBeLessThan(1e-5);
    tf.dispose([logits, summed]);
    cache.dispose();
    model.dispose();
  });

  it('computes the loss over real next tokens only', async () => {
    const model = randomModel();
    const perToken = model.forward(tokens, { returnType: 'loss', perTokenLoss: true });
    expect(perToken.shape).toEqual([2, 5]);
    const mean = model.forward(tokens, { returnType: 'loss' });
    const expected = tf.tidy(() => perToken.mean());
    expect(await maxAbsDifference(mean, expected)).toBeLessThan(1e-6);
    const masked = model.forward(tokens, { returnType: 'loss', perTokenLoss: true, attentionMask: [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]] });
    expect(Array.from(await masked.data()).slice(3, 5)).toEqual([0, 0]);
    tf.dispose([perToken, mean, expected, masked]);
    model.dispose();
  });
});

describe('HookedTransformer unembedPositions', () => {
  it('returns exactly the selected positions of the full logits', async () => {
    const model = randomModel();
    const full = model.forward(tokens);
    const some = model.forward(tokens, { unembedPositions: [5, 2] });
    const expected = tf.tidy(() => tf.concat([full.slice([0, 5, 0], [-1, 1, -1]), full.slice([0, 2, 0], [-1, 1, -1])], 1));
    expect(some.shape).toEqual([2, 2, model.config.dVocab]);
    expect(await maxAbsDifference(some, expected)).toBeLessThan(1e-6);
    expect(() => model.forward(tokens, { unembedPositions: [6] })).toThrow(/position 6 is outside/);
    tf.dispose([full, some, expected]);
    model.dispose();
  });
});

describe('HookedTransformer trainable', () => {
  it('gives gradients to every weight and exports what it holds', () => {
    const config = tinyConfig({ normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 });
    const weights = randomWeights(config);
    const model = new HookedTransformer(config, weights, { trainable: true });
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.forward(tokens, { returnType: 'loss' }) as tf.Scalar, [...model.trainableVariables().values()]);
    const names = [...model.trainableVariables().keys()];
    expect(names).toContain('blocks.0.attn.W_Q');
    for (const [name, variable] of model.trainableVariables()) {
      const gradient = Object.entries(grads).find(([key]) => key === variable.name)?.[1];
      expect(gradient, name).toBeDefined();
      expect(tf.tidy(() => gradient!.abs().sum().dataSync()[0]), name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(model.exportWeights().get('blocks.1.mlp.W_gate')!.data)).toEqual(Array.from(weights.get('blocks.1.mlp.W_gate')!.data));
    model.dispose();
  });
});
