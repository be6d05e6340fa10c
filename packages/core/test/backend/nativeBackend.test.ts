import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend/index.ts';

// tfjs-node's libtensorflow download is not reachable everywhere, so stand in for it: importing
// the package registers a backend named 'tensorflow' on the shared tfjs engine, as the real
// binding does. tfjs-node-gpu is absent.
vi.mock('@tensorflow/tfjs-node-gpu', () => {
  throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
});
vi.mock('@tensorflow/tfjs-node', () => {
  tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
  return {};
});

describe('initBackend with a native binding installed', () => {
  it('prefers it over wasm, naming the package (tfjs-node-gpu is still absent)', async () => {
    delete process.env.HOOKLENS_BACKEND;
    const info = await initBackend();
    expect(info).toEqual({ name: 'tensorflow', description: 'tensorflow (tfjs-node, CPU)' });
    expect(tf.getBackend()).toBe('tensorflow');
    expect(await initBackend('tensorflow')).toBe(info);
    expect((await initBackend('wasm')).name).toBe('wasm');
  });
});
