/**
 * Which engine runs a model: onnx by default where onnxruntime-node loads (here it does), tfjs
 * when asked or for training; the engine line each gives; the CUDA probe's fallback to CPU.
 */
import { availableParallelism } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chooseEngine, engineLine, HookedTransformer, initBackend, ortAvailability } from '../../src/index.ts';
import { probeProvider } from '../../src/engine/ort.ts';
import { randomWeights, tinyConfig } from '../randomModel.ts';

const saved = { engine: process.env.HOOKLENS_ENGINE, threads: process.env.HOOKLENS_THREADS };
const setEnv = (name: string, value: string | undefined) => {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
};
afterEach(() => {
  setEnv('HOOKLENS_ENGINE', saved.engine);
  setEnv('HOOKLENS_THREADS', saved.threads);
});

beforeAll(async () => { await initBackend(); });

describe('chooseEngine', () => {
  it('onnx, on every core, when nothing is asked and onnxruntime-node loads', () => {
    expect(ortAvailability()).toMatchObject({ available: true, version: '1.30.0' });
    setEnv('HOOKLENS_ENGINE', undefined);
    setEnv('HOOKLENS_THREADS', undefined);
    const cores = availableParallelism();
    expect(chooseEngine()).toEqual({ name: 'onnx', description: `onnx (CPU, ${cores} thread${cores === 1 ? '' : 's'})` });
  });

  it('HOOKLENS_THREADS sets the thread count; HOOKLENS_ENGINE and the option pick the engine, the option first', () => {
    setEnv('HOOKLENS_THREADS', '3');
    expect(chooseEngine('onnx').description).toBe('onnx (CPU, 3 threads)');
    setEnv('HOOKLENS_THREADS', '1');
    expect(chooseEngine('onnx').description).toBe('onnx (CPU, 1 thread)');
    setEnv('HOOKLENS_ENGINE', 'TFJS');
    expect(chooseEngine()).toEqual({ name: 'tfjs', description: 'tfjs' });
    expect(chooseEngine('onnx').name).toBe('onnx');
    setEnv('HOOKLENS_ENGINE', 'onnx');
    expect(chooseEngine('tfjs').name).toBe('tfjs');
    expect(() => chooseEngine('gpu')).toThrow("engine: unknown engine 'gpu'; valid engines: tfjs, onnx");
  });

  it('a model runs on the default engine, and on tfjs when built for training', () => {
    setEnv('HOOKLENS_ENGINE', undefined);
    const config = tinyConfig({});
    const weights = randomWeights(config, 1);
    const served = new HookedTransformer(config, weights);
    const trained = new HookedTransformer(config, weights, { trainable: true });
    try {
      expect(served.engine.name).toBe('onnx');
      expect(trained.engine.name).toBe('tfjs');
      expect(() => new HookedTransformer(config, weights, { trainable: true, engine: 'onnx' })).toThrow('a trainable model runs on the tfjs engine');
    } finally {
      served.dispose();
      trained.dispose();
    }
  });
});

describe('engineLine', () => {
  it('names the engine, and why onnx or CUDA is not used when that applies, in one line', () => {
    expect(engineLine({ name: 'onnx', description: 'onnx (CPU, 2 threads)' }, 'wasm (SIMD, 1 thread)')).toBe('onnx (CPU, 2 threads)');
    expect(engineLine({ name: 'onnx', description: 'onnx (CPU, 2 threads)', cudaUnavailable: 'no CUDA-capable device is detected' }, 'wasm (SIMD, 1 thread)'))
      .toBe('onnx (CPU, 2 threads); CUDA unavailable: no CUDA-capable device is detected');
    expect(engineLine({ name: 'tfjs', description: 'tfjs' }, 'wasm (SIMD, 1 thread)')).toBe('tfjs on wasm (SIMD, 1 thread)');
    expect(engineLine({ name: 'tfjs', description: 'tfjs', onnxUnavailable: 'onnxruntime-node is not installed' }, 'cpu (plain JavaScript, slowest)'))
      .toBe('tfjs on cpu (plain JavaScript, slowest); onnx unavailable: onnxruntime-node is not installed');
  });
});

describe('probeProvider', () => {
  it('CPU without a reason when the CUDA provider is not installed', () => {
    expect(probeProvider(false)).toEqual({ name: 'cpu' });
  });

  it('an installed CUDA provider that cannot start (this machine has neither the library nor a device): CPU, with ONNX Runtime\'s reason in one line', () => {
    const probed = probeProvider(true);
    expect(probed.name).toBe('cpu');
    expect(probed.cudaUnavailable).toMatch(/Cuda|CUDA/);
    expect(probed.cudaUnavailable).not.toContain('\n');
  });
});
