import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend/index.ts';

// Both bindings installed without their native addon (install scripts turned off, e.g.
// `pnpm install --ignore-scripts`): as the real packages do, each registers its kernels under
// 'tensorflow' and then throws because tfjs_binding.node is missing.
vi.mock('@tensorflow/tfjs-node-gpu', () => {
  tf.registerKernel({ kernelName: 'Add', backendName: 'tensorflow', kernelFunc: () => tf.scalar(0) });
  throw new Error(
    'The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node. \nPlease run command ...',
  );
});
vi.mock('@tensorflow/tfjs-node', () => {
  tf.registerKernel({ kernelName: 'Add', backendName: 'tensorflow', kernelFunc: () => tf.scalar(0) });
  throw new Error(
    'The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/tfjs-node/lib/napi-v8/tfjs_binding.node. \nPlease run command ...',
  );
});

describe('initBackend with native bindings installed but unusable', () => {
  it('falls back to wasm and says why in one line, leaving no stray kernels or warnings', async () => {
    delete process.env.HOOKLENS_BACKEND;
    const warn = vi.spyOn(console, 'warn');
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(info.description).toMatch(
      /^wasm \((no )?SIMD, \d+ threads?\); tensorflow unusable: @tensorflow\/tfjs-node-gpu, @tensorflow\/tfjs-node: installed without its native addon \([^)]*\)$/,
    );
    // Without the clean-up the second binding re-registers 'Add' and tfjs warns about it.
    expect(tf.getKernelsForBackend('tensorflow')).toEqual([]);
    expect(warn.mock.calls.flat().join('\n')).not.toMatch(/already registered/);
    const product = tf.add(tf.scalar(2), tf.scalar(3));
    expect(product.dataSync()[0]).toBe(5);
    product.dispose();
    warn.mockRestore();
  });

  it('forcing tensorflow fails with the same cause', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(
      /; @tensorflow\/tfjs-node-gpu, @tensorflow\/tfjs-node: installed without its native addon \(its install script was skipped or could not download libtensorflow\)$/,
    );
    expect(tf.getBackend()).toBe('wasm');
  });
});
