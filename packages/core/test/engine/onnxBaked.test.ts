/**
 * The onnx engine bakes the MatMul weights of plans in repeated use into their sessions within
 * a byte budget (HOOKLENS_ONNX_BAKE_BYTES) and feeds the rest as inputs. Whatever the budget
 * (everything baked, nothing baked, room for one plan so plans evict each other, and a plan
 * run from inside another's hook, which must not evict the running one), the results are
 * the tfjs engine's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '../../src/index.ts';
import type { HookName } from '../../src/index.ts';
import { randomWeights, tinyConfig } from '../randomModel.ts';

beforeAll(async () => { await initBackend(); });

const config = tinyConfig();
const weights = randomWeights(config, 3);
const { dModel, nHeads, dHead, dMlp, dVocab, nLayers } = config;
// The MatMul weights of one whole forward: fused Q/K/V, W_O, W_in, W_out per layer, and W_U.
const planBytes = 4 * (nLayers * (dModel * 3 * nHeads * dHead + nHeads * dHead * dModel + 2 * dModel * dMlp) + dModel * dVocab);

const tokens = [[3, 7, 2, 9, 4, 11]];
const other = [[5, 5, 6, 8], [1, 2, 3, 4]];
const zName: HookName = 'blocks.0.attn.hook_z';

function onnxModel(budget: number | undefined): HookedTransformer {
  const saved = process.env.HOOKLENS_ONNX_BAKE_BYTES;
  if (budget === undefined) delete process.env.HOOKLENS_ONNX_BAKE_BYTES;
  else process.env.HOOKLENS_ONNX_BAKE_BYTES = String(budget);
  try {
    return new HookedTransformer(config, weights, { engine: 'onnx' });
  } finally {
    if (saved === undefined) delete process.env.HOOKLENS_ONNX_BAKE_BYTES;
    else process.env.HOOKLENS_ONNX_BAKE_BYTES = saved;
  }
}

/** Plain, cached, edited and nested runs, in an order that switches plans; every result as numbers. */
function workload(model: HookedTransformer): number[][] {
  const out: number[][] = [];
  const take = (t: tf.Tensor) => { out.push([...t.dataSync()]); t.dispose(); };
  for (let round = 0; round < 4; round++) { // plans bake on their third run
    take(model.forward(tokens));
    const { logits, cache } = model.runWithCache(tokens, { names: (name) => name.endsWith('hook_resid_mid') });
    take(logits);
    for (const name of cache.names()) out.push([...cache.get(name).dataSync()]);
    cache.dispose();
    take(model.forward(other));
    // A hook that runs the model itself, at another shape, between the two segments of its own plan.
    // (The hook stays attached during the nested run, where it must not nest again.)
    let inner: number[] | undefined;
    take(model.runWithHooks(tokens, {
      fwdHooks: [[zName, (z) => {
        if (inner) return z;
        inner = [];
        const nested = model.forward(other, { unembedPositions: [3] });
        inner = [...nested.dataSync()];
        nested.dispose();
        return z.mul(0.5);
      }]],
    }));
    out.push(inner!);
  }
  return out;
}

describe('onnx engine: baked weights within a byte budget', () => {
  let expected: number[][];
  beforeAll(() => {
    const reference = new HookedTransformer(config, weights, { engine: 'tfjs' });
    expected = workload(reference);
    reference.dispose();
  });

  it.each([
    ['a 1 GiB budget (every plan baked)', 2 ** 30],
    ['the default budget, 0 (weights always fed as inputs)', undefined],
    ['room for one plan (plans evict each other; a running plan is never evicted)', Math.ceil(planBytes * 1.2)],
  ] as const)('%s gives the tfjs results', (_label, budget) => {
    const before = tf.memory().numTensors;
    const model = onnxModel(budget);
    try {
      const actual = workload(model);
      expect(actual.map((values) => values.length)).toEqual(expected.map((values) => values.length));
      actual.forEach((values, i) => values.forEach((value, j) => expect(Math.abs(value - expected[i]![j]!)).toBeLessThanOrEqual(1e-4)));
    } finally {
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
