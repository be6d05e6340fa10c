/**
 * A plan whose later segment's session fails to build (here: its ONNX model corrupted on the
 * way to ONNX Runtime) fails that call and leaves no session of its earlier segments behind;
 * the same plan builds and runs once the model is whole again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { HookedTransformer, initBackend } from '../../src/index.ts';
import { OrtSession } from '../../src/engine/ort.ts';
import { randomWeights, tinyConfig } from '../randomModel.ts';

const state = vi.hoisted(() => ({ corruptSegment: undefined as string | undefined }));

vi.mock('../../src/engine/onnxProto.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/engine/onnxProto.ts')>();
  return {
    ...actual,
    encodeModel: (model: Parameters<typeof actual.encodeModel>[0]) =>
      (model.name === state.corruptSegment ? new Uint8Array([8, 255, 255]) : actual.encodeModel(model)),
  };
});

beforeAll(async () => { await initBackend(); });

describe('onnx plan building', () => {
  it('a segment that fails to build strands no session of the plan', () => {
    const config = tinyConfig();
    const weights = randomWeights(config, 4);
    const onnx = new HookedTransformer(config, weights, { engine: 'onnx' });
    const tfjs = new HookedTransformer(config, weights, { engine: 'tfjs' });
    const tokens = [[3, 7, 2, 9]];
    const hooks = [['blocks.1.hook_resid_pre', (x: tf.Tensor) => x.mul(2)]] as const;
    const sessions = OrtSession.live;
    const tensors = tf.memory().numTensors;
    state.corruptSegment = 'segment1';
    expect(() => onnx.runWithHooks(tokens, { fwdHooks: hooks })).toThrow();
    expect(OrtSession.live).toBe(sessions);
    expect(tf.memory().numTensors).toBe(tensors);
    state.corruptSegment = undefined;
    const actual = onnx.runWithHooks(tokens, { fwdHooks: hooks });
    const expected = tfjs.runWithHooks(tokens, { fwdHooks: hooks });
    expect(tf.tidy(() => actual.sub(expected).abs().max().dataSync()[0])).toBeLessThan(1e-4);
    expect(OrtSession.live).toBe(sessions + 2);
    tf.dispose([actual, expected]);
    onnx.dispose();
    tfjs.dispose();
    expect(OrtSession.live).toBe(sessions);
  });
});
