/**
 * generate(): the context limit, stop tokens and hooks during generation, on small random
 * models (n_ctx 24, vocab 23). Expected tokens come from plain re-runs or from the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';
import type { HookedTransformer } from '../src/index.ts';
import { greedyByRerunning } from './greedyByRerunning.ts';
import { randomModel } from './randomModel.ts';

beforeAll(async () => { await initBackend(); });


const promptOf = (length: number) => Array.from({ length }, (_, i) => 2 + ((i * 7) % 20));

describe('generate and the context limit n_ctx', () => {
  it('refuses a prompt longer than n_ctx, naming both lengths', async () => {
    const model = randomModel();
    const before = tf.memory().numTensors;
    await expect(model.generate(promptOf(25), { maxNewTokens: 3 })).rejects.toThrow("prompt of 25 tokens is longer than the model's context n_ctx = 24");
    await expect(model.generate(promptOf(25), { maxNewTokens: 0 })).rejects.toThrow(/prompt of 25 tokens/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('stops at n_ctx and says so; the sequence it returns fits the context', async () => {
    const model = randomModel();
    const result = await model.generate(promptOf(20), { maxNewTokens: 10, stopAtEos: false });
    expect(result.stopReason).toBe('context-limit');
    expect(result.newTokens).toHaveLength(4);
    expect(result.tokens).toEqual(await greedyByRerunning(model, promptOf(20), 4));
    model.forward([result.tokens]).dispose(); // 24 tokens: still a valid input

    const exact = await model.generate(promptOf(20), { maxNewTokens: 4, stopAtEos: false });
    expect(exact.stopReason).toBe('max-new-tokens');
    expect(exact.tokens).toEqual(result.tokens);

    const full = await model.generate(promptOf(24), { maxNewTokens: 2 });
    expect(full).toMatchObject({ newTokens: [], stopReason: 'context-limit' });
    expect(await model.generate(promptOf(24), { maxNewTokens: 0 })).toMatchObject({ newTokens: [], stopReason: 'max-new-tokens' });
    model.dispose();
  });
});

describe('generate and stop tokens', () => {
  it("stops at the config's stop tokens (emitted, then reported), and runs past them with stopAtEos: false", async () => {
    const sampling = { temperature: 1, seed: 3, maxNewTokens: 12 };
    const unstopped = await randomModel().generate([3, 7, 2], { ...sampling, stopAtEos: false });
    // A stop token this seeded run first emits a few steps in.
    const index = unstopped.newTokens.findIndex((id, i) => i >= 2 && !unstopped.newTokens.slice(0, i).includes(id));
    expect(index).toBeGreaterThanOrEqual(2);
    const stop = unstopped.newTokens[index];
    const model = randomModel({ stopTokenIds: [stop] });
    const stopped = await model.generate([3, 7, 2], sampling);
    expect(stopped.stopReason).toBe('stop-token');
    expect(stopped.newTokens).toEqual(unstopped.newTokens.slice(0, index + 1));
    expect((await model.generate([3, 7, 2], { ...sampling, stopAtEos: false })).newTokens).toEqual(unstopped.newTokens);
    model.dispose();
  });
});

describe('generate with hooks', () => {
  it('runs fwdHooks on every step: hook_embed sees each fed token, in order, as rows of W_E', async () => {
    const model = randomModel();
    const before = tf.memory().numTensors;
    const seen: number[][][] = [];
    const result = await model.generate([3, 7, 2], {
      maxNewTokens: 5, stopAtEos: false,
      fwdHooks: [['hook_embed', (embed) => { seen.push((embed.arraySync() as number[][][])[0]); }]],
    });
    // The prompt in one step, then each new token but the last (whose logits are never needed).
    expect(seen.map((step) => step.length)).toEqual([3, 1, 1, 1, 1]);
    const embedding = model.weights.get('embed.W_E')!;
    const d = model.config.dModel;
    const fed = result.tokens.slice(0, -1);
    expect(seen.flat()).toEqual(fed.map((id) => Array.from(embedding.data.subarray(id * d, (id + 1) * d))));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('lets an editing hook change what is generated: zeroed ln_final.hook_normalized leaves ln_final.b·W_U + b_U, so its argmax every step', async () => {
    const model = randomModel();
    // hook_normalized is before the norm's weight and bias (TransformerLens 3), so the bias still reaches the logits.
    const { dModel, dVocab } = model.config;
    const lnB = model.weights.get('ln_final.b')!.data;
    const W_U = model.weights.get('unembed.W_U')!.data;
    const bU = model.weights.get('unembed.b_U')!.data;
    const bias = Array.from({ length: dVocab }, (_, v) => {
      let sum = bU[v];
      for (let d = 0; d < dModel; d++) sum += lnB[d] * W_U[d * dVocab + v];
      return sum;
    });
    const biasArgmax = bias.indexOf(Math.max(...bias));
    const plain = await model.generate([3, 7, 2], { maxNewTokens: 6, stopAtEos: false });
    expect(plain.newTokens.every((id) => id === biasArgmax)).toBe(false);
    const edited = await model.generate([3, 7, 2], {
      maxNewTokens: 6, stopAtEos: false, fwdHooks: [['ln_final.hook_normalized', (x) => tf.zerosLike(x)]],
    });
    expect(edited.newTokens).toEqual(new Array(6).fill(biasArgmax));
    // Persistent hooks count too, and a scoped one is gone afterwards.
    const scoped = await model.withHooks([['ln_final.hook_normalized', (x) => tf.zerosLike(x)]], () => model.generate([3, 7, 2], { maxNewTokens: 6, stopAtEos: false }));
    expect(scoped.newTokens).toEqual(edited.newTokens);
    expect((await model.generate([3, 7, 2], { maxNewTokens: 6, stopAtEos: false })).newTokens).toEqual(plain.newTokens);
    model.dispose();
  });
});
