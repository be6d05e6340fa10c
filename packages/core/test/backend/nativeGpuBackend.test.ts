import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend/index.ts';

// tfjs-node-gpu on a machine without a usable CUDA device loads and runs on the CPU; its
// backend says so through isUsingGpuDevice, which this stand-in sets to false.
vi.mock('@tensorflow/tfjs-node-gpu', () => {
  tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: false }), 3);
  return {};
});

describe('initBackend with tfjs-node-gpu but no CUDA device', () => {
  it('picks it but names the CPU it really runs on, not CUDA', async () => {
    delete process.env.HOOKLENS_BACKEND;
    const info = await initBackend();
    expect(info).toEqual({ name: 'tensorflow', description: 'tensorflow (tfjs-node-gpu, CPU)' });
    expect(tf.getBackend()).toBe('tensorflow');
  });
});
