/**
 * The onnx engine keeps a model's activations and readout weights out of the active tfjs
 * backend's memory (the WebAssembly heap on wasm): caches, logits and read weights are
 * tensors in JavaScript memory until a computation moves one over, and still compute
 * like any tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '../../src/index.ts';
import { hostStoreBuffers, isOnHost, tensorOnHost } from '../../src/engine/hostTensors.ts';
import { randomWeights, tinyConfig } from '../randomModel.ts';

beforeAll(async () => { await initBackend(); });

const tokens = [[3, 7, 2, 9, 4, 11]];

describe('onnx engine off the backend heap', () => {
  const config = tinyConfig({ normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 });
  const weights = randomWeights(config, 3);
  let onnx: HookedTransformer;
  let tfjs: HookedTransformer;
  beforeAll(() => {
    onnx = new HookedTransformer(config, weights, { engine: 'onnx' });
    tfjs = new HookedTransformer(config, weights, { engine: 'tfjs' });
  });
  afterAll(() => { onnx.dispose(); tfjs.dispose(); });

  it('hands back a full cache and logits without a byte on the active backend', () => {
    const tensors = tf.memory().numTensors;
    const onBackend = tf.backend().numDataIds();
    const { logits, cache } = onnx.runWithCache(tokens);
    expect(tf.backend().numDataIds()).toBe(onBackend);
    expect(isOnHost(logits)).toBe(true);
    expect(cache.names().length).toBe(onnx.hookNames().length);
    for (const name of cache.names()) expect(isOnHost(cache.get(name)), name).toBe(true);
    // Same values as the tfjs engine computes on its backend.
    const reference = tfjs.runWithCache(tokens, { names: ['blocks.1.attn.hook_pattern', 'blocks.0.mlp.hook_post'] });
    for (const name of reference.cache.names()) {
      const [actual, expected] = [cache.get(name).dataSync(), reference.cache.get(name).dataSync()];
      expect(actual.length).toBe(expected.length);
      actual.forEach((value, i) => expect(Math.abs(value - expected[i]!)).toBeLessThan(1e-5));
    }
    reference.logits.dispose();
    reference.cache.dispose();
    logits.dispose();
    cache.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('a hook that computes on a host activation gets the right numbers', () => {
    const tensors = tf.memory().numTensors;
    const seen: number[][] = [];
    const logits = onnx.runWithHooks(tokens, {
      fwdHooks: [['blocks.0.hook_resid_mid', (x) => {
        expect(isOnHost(x)).toBe(true);
        const host = Array.from(x.dataSync());
        seen.push(host);
        const doubled = x.mul(2); // moves x to the active backend and computes there
        expect(Array.from(doubled.dataSync())).toEqual(host.map((v) => Math.fround(v * 2)));
        return doubled;
      }]],
    });
    const expected = tfjs.runWithHooks(tokens, { fwdHooks: [['blocks.0.hook_resid_mid', (x) => x.mul(2)]] });
    expect(seen.length).toBe(1);
    expect(tf.tidy(() => logits.sub(expected).abs().max().dataSync()[0]!)).toBeLessThan(1e-4);
    tf.dispose([logits, expected]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('readout weights wrap the loaded host arrays, uncopied', () => {
    const unembed = onnx.parameter('unembed.W_U');
    expect(isOnHost(unembed)).toBe(true);
    expect(unembed.dataSync()).toBe(weights.get('unembed.W_U')!.data);
    expect(isOnHost(onnx.parameter('ln_final.w'))).toBe(true);
    // The tfjs engine keeps its weights on its backend.
    expect(isOnHost(tfjs.parameter('unembed.W_U'))).toBe(false);
  });
});

describe('host tensors', () => {
  it('are tracked, disposed and tidied like any tensor', () => {
    const tensors = tf.memory().numTensors;
    const buffers = hostStoreBuffers();
    const data = Float32Array.of(1, 2, 3, 4);
    const kept = tf.tidy(() => {
      const t = tensorOnHost(data, [2, 2]);
      tensorOnHost(Float32Array.of(5), [1]);
      expect(hostStoreBuffers()).toBe(buffers + 2);
      return t;
    });
    expect(hostStoreBuffers()).toBe(buffers + 1);
    expect(kept.dataSync()).toBe(data);
    expect(Array.from(tf.tidy(() => kept.matMul(kept).dataSync()))).toEqual([7, 10, 15, 22]);
    // The computation moved it to the active backend; its values are intact there.
    expect(isOnHost(kept)).toBe(false);
    expect(Array.from(kept.dataSync())).toEqual([1, 2, 3, 4]);
    kept.dispose();
    expect(hostStoreBuffers()).toBe(buffers);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
