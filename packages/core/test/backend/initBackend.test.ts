import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKEND_ENV, backendInfo, initBackend } from '../../src/backend/index.ts';
import type { BackendName } from '../../src/backend/index.ts';

// The native bindings are optional dependencies, installed wherever their libtensorflow download
// works; here they are absent on every machine, so auto-detection lands on wasm (SIMD, no threads).
vi.mock('@tensorflow/tfjs-node-gpu', () => {
  throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
});
vi.mock('@tensorflow/tfjs-node', () => {
  throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

describe('initBackend', () => {
  const savedEnv = process.env[BACKEND_ENV];
  afterEach(() => {
    if (savedEnv === undefined) delete process.env[BACKEND_ENV];
    else process.env[BACKEND_ENV] = savedEnv;
  });

  it('auto-detects wasm in Node without setWasmPaths, and computes correctly', async () => {
    delete process.env[BACKEND_ENV];
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.description).toMatch(/^wasm \((no )?SIMD, \d+ threads?\)$/);
    expect(tf.getBackend()).toBe('wasm');
    const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    expect(Array.from(product.dataSync())).toEqual([17, 39]);
    product.dispose();
  });

  it('is idempotent: a second call returns the same info', async () => {
    const first = await initBackend();
    const second = await initBackend();
    expect(second).toBe(first);
    expect(backendInfo()).toBe(first);
  });

  it('switches when a different backend is explicitly preferred, then stays', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu).toEqual({ name: 'cpu', description: expect.stringMatching(/^cpu/) });
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend()).toBe(cpu);
    expect(await initBackend('cpu')).toBe(cpu);
    const wasm = await initBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(backendInfo()).toBe(wasm);
  });

  it('honours HOOKLENS_BACKEND when no preference is passed', async () => {
    process.env[BACKEND_ENV] = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    process.env[BACKEND_ENV] = 'wasm';
    expect((await initBackend()).name).toBe('wasm');
  });

  it('rejects unknown names, listing the valid ones', async () => {
    await expect(initBackend('webgl' as BackendName)).rejects.toThrow(/unknown backend 'webgl'; valid backends: tensorflow, wasm, cpu/);
    process.env[BACKEND_ENV] = 'gpu';
    await expect(initBackend()).rejects.toThrow(/HOOKLENS_BACKEND: unknown backend 'gpu'/);
  });

  it('explains how to get tensorflow when no native binding is installed', async () => {
    const before = backendInfo();
    await expect(initBackend('tensorflow')).rejects.toThrow(
      /needs @tensorflow\/tfjs-node-gpu .* or @tensorflow\/tfjs-node installed .*pnpm install --force\); @tensorflow\/tfjs-node-gpu, @tensorflow\/tfjs-node: not installed$/,
    );
    // The failed attempt leaves the working backend in place.
    expect(backendInfo()).toBe(before);
    expect(tf.getBackend()).toBe(before?.name);
  });
});
