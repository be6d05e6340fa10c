/**
 * Every tool on the onnx engine against the same tool on the tfjs engine, same weights: lens,
 * patching (every kind), ablation (zero, mean, resample; single and swept), attribution and
 * head scores give the same numbers (≤ 1e-4), and leave no tfjs tensors behind on either.
 * The tools' own suites prove the numbers right on tfjs against hand-written references.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '@hooklens/core';
import type { ModelConfig } from '@hooklens/core';
import { randomWeights, tinyConfig } from '@hooklens/core/testing';
import { ablate, ablationSweep, activationPatching, directLogitAttribution, headScores, logitLens, PATCH_KINDS } from '../src/index.ts';

beforeAll(async () => { await initBackend(); });

const TOLERANCE = 1e-4;
const clean = [3, 7, 2, 9, 4, 11, 6];
const corrupted = [3, 7, 5, 9, 4, 11, 6];
const prompts = [[1, 4, 9, 2, 7, 3], [5, 8, 2, 6, 1, 10]];
const answer = 8;
const wrong = 2;

/** Paths where two results differ: numbers by more than the tolerance (relative above 1), anything else at all. */
function differences(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    const ok = Number.isNaN(a) ? Number.isNaN(b) : a === b || Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a));
    if (!ok) out.push(`${path}: ${a} vs ${b}`);
  } else if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    differences(Array.from(a as Float32Array), Array.from(b as Float32Array), path, out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: length ${a.length} vs ${b.length}`);
    else a.forEach((value, i) => differences(value, b[i], `${path}[${i}]`, out));
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`, out);
  } else if (a !== b) {
    out.push(`${path}: ${String(a)} vs ${String(b)}`);
  }
  return out;
}

describe.each([
  ['gpt2-like', {}],
  ['llama-like (GQA, rotary)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
] as const)('tools on both engines, %s', (_label, overrides: Partial<ModelConfig>) => {
  let tfjs: HookedTransformer;
  let onnx: HookedTransformer;
  beforeAll(() => {
    const config = tinyConfig(overrides);
    const weights = randomWeights(config, 7);
    tfjs = new HookedTransformer(config, weights, { engine: 'tfjs' });
    onnx = new HookedTransformer(config, weights, { engine: 'onnx' });
  });
  afterAll(() => { tfjs.dispose(); onnx.dispose(); });

  /** Runs `tool` on each engine, checking each leaves the tfjs tensor count where it found it. */
  async function onBoth<T>(tool: (model: HookedTransformer) => T | Promise<T>): Promise<[T, T]> {
    const results: T[] = [];
    for (const model of [tfjs, onnx]) {
      const before = tf.memory().numTensors;
      results.push(await tool(model));
      expect(tf.memory().numTensors, `${model.engine.name} leaks no tensors`).toBe(before);
    }
    expect(onnx.engine.name).toBe('onnx');
    return results as [T, T];
  }

  async function agree<T>(tool: (model: HookedTransformer) => T | Promise<T>): Promise<void> {
    const [expected, actual] = await onBoth(tool);
    expect(differences(expected, actual)).toEqual([]);
  }

  it('logit lens', () => agree((model) => logitLens(model, clean, { topK: 3, target: answer })));

  it.each(PATCH_KINDS)('activation patching, %s', (kind) => agree((model) => activationPatching(model, clean, corrupted, { kind, answer, wrong })));

  it.each(['zero', 'mean', 'resample'] as const)('ablation (%s), one set and the per-head sweep', async (mode) => {
    await agree((model) => ablate(model, prompts, { heads: [{ layer: 1, head: 2 }], mlps: [0], mode, answer, wrong, seed: 3 }));
    await agree((model) => ablationSweep(model, prompts, { mode, answer, wrong, seed: 3, batchSize: 3 }));
  });

  it('direct logit attribution', () => agree((model) => directLogitAttribution(model, clean, { answer, wrong })));

  it('head scores', () => agree((model) => headScores(model, { seqLen: 6, batch: 3, seed: 4, prependBos: false })));

  it('the comparison can fail: different weights disagree', async () => {
    const other = new HookedTransformer(tfjs.config, randomWeights(tfjs.config, 8), { engine: 'onnx' });
    try {
      expect(differences(logitLens(tfjs, clean, { topK: 3 }), logitLens(other, clean, { topK: 3 })).length).toBeGreaterThan(0);
    } finally {
      other.dispose();
    }
  });
});
