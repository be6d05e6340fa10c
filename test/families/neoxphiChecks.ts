/**
 * The checks every GPT-NeoX and Phi-3 case runs on one engine against its float64 reference:
 * every hook and the logits, left- and right-padded rows against solo runs, and greedy
 * generation with the key/value cache against re-running the sequence and the reference.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { hookShape, initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { greedyByRerunning } from '../../packages/core/test/greedyByRerunning.ts';
import type { RefTensor } from '../fixtures/checkpoints.ts';
import type { FamilyFixture } from '../fixtures/gptneoxCheckpoint.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import type { ReferenceOptions, ReferenceResult } from '../reference/forward64.ts';

export const TOLERANCE = 1e-4;
export const ENGINES = ['tfjs', 'onnx'] as const;
export type Engine = (typeof ENGINES)[number];

export interface FamilyCase {
  name: string;
  vocab: number;
  make: (dir: string) => FamilyFixture;
  reference: (fixture: FamilyFixture, tokens: number[][], options?: ReferenceOptions) => ReferenceResult;
}

interface Worst {
  error: number;
  where: string;
}

/** Largest absolute difference; equal infinities (masked scores) agree. `include` picks indices to compare. */
function compare(name: string, actual: { shape: number[]; data: ArrayLike<number> }, expected: RefTensor, worst: Worst, include?: (index: number[]) => boolean): void {
  expect(actual.shape, `${name} shape`).toEqual(expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    const index = unravel(i, expected.shape);
    if (include && !include(index)) continue;
    const a = actual.data[i];
    const e = expected.data[i];
    const error = a === e ? 0 : Number.isNaN(a) ? Infinity : Math.abs(a - e);
    if (error > worst.error) {
      worst.error = error;
      worst.where = `${name}[${index.join(',')}] model ${a} reference ${e}`;
    }
  }
}

function unravel(index: number, shape: number[]): number[] {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(index % shape[k]);
    index = Math.floor(index / shape[k]);
  }
  return out;
}

/** Logits rows [from, from + count) of batch row b. */
function rowLogits(data: ArrayLike<number>, shape: number[], b: number, from: number, count: number): Float64Array {
  const V = shape[2];
  return Float64Array.from({ length: count * V }, (_, i) => data[(b * shape[1] + from) * V + i]);
}

function argmaxLast(logits: RefTensor): number {
  const [, P, V] = logits.shape;
  const row = logits.data.subarray((P - 1) * V, P * V);
  let best = 0;
  for (let i = 1; i < V; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Registers one case's tests on one engine (call inside a describe). */
export function familyCase(scratch: string, { name, vocab, make, reference }: FamilyCase, engine: Engine): void {
  let fixture: FamilyFixture;
  let model: HookedTransformer;
  const rng = new Rng(name.length * 7919 + 17);
  const tokens = randomTokens(rng, 2, 7, vocab);

  beforeAll(async () => {
    await initBackend();
    fixture = make(mkdtempSync(join(scratch, 'case-')));
    model = await loadModel(fixture.dir, { engine });
    expect(model.engine.name).toBe(engine);
  });
  afterAll(() => model?.dispose());

  it('every TransformerLens hook (names, shapes, values) and the logits match the float64 reference; no tensors leak', () => {
    const expected = reference(fixture, tokens);
    const before = tf.memory().numTensors;
    const { logits, cache } = model.runWithCache(tokens, { names: () => true });
    const arrays = cache.toArrays();
    const worst: Worst = { error: 0, where: '' };
    compare('logits', { shape: logits.shape, data: logits.dataSync() }, expected.logits, worst);
    expect(model.hookNames().slice().sort()).toEqual([...expected.hooks.keys()].sort());
    expect(cache.names().slice().sort()).toEqual([...expected.hooks.keys()].sort());
    for (const [hook, value] of expected.hooks) {
      compare(hook, arrays[hook], value, worst);
      expect(hookShape(model.config, hook, 2, 7), `hookShape of ${hook}`).toEqual(value.shape);
    }
    logits.dispose();
    cache.dispose();
    expect(tf.memory().numTensors, 'tensors left after disposing logits and cache').toBe(before);
    console.log(`${name} (${engine}): worst |model - reference| = ${worst.error.toExponential(2)} at ${worst.where}`);
    expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
  });

  it.each(['left', 'right'] as const)('%s-padded row equals its solo run and the reference, every hook at real positions', (side) => {
    const long = tokens[0];
    const short = tokens[1].slice(0, 4);
    const padded = side === 'left' ? [0, 0, 0, ...short] : [...short, 1, 1, 1];
    const mask = [long.map(() => 1), side === 'left' ? [0, 0, 0, 1, 1, 1, 1] : [1, 1, 1, 1, 0, 0, 0]];
    const start = side === 'left' ? 3 : 0;
    const before = tf.memory().numTensors;
    const { logits, cache } = model.runWithCache([long, padded], { attentionMask: mask, names: () => true });
    const data = logits.dataSync();
    const shape = logits.shape;
    const arrays = cache.toArrays();
    logits.dispose();
    cache.dispose();
    const solo = model.forward([short]);
    const soloData = solo.dataSync();
    solo.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const V = shape[2];
    const worst: Worst = { error: 0, where: '' };
    compare('padded short row vs its solo run', { shape: [1, 4, V], data: rowLogits(data, shape, 1, start, 4) }, { shape: [1, 4, V], data: Float64Array.from(soloData) }, worst);
    compare('solo run vs reference', { shape: [1, 4, V], data: soloData }, reference(fixture, [short]).logits, worst);
    compare('long row vs reference', { shape: [1, 7, V], data: rowLogits(data, shape, 0, 0, 7) }, reference(fixture, [long]).logits, worst);
    const expected = reference(fixture, [long, padded], { attentionMask: mask });
    for (const [hook, value] of expected.hooks) {
      const queryAxis = hook.endsWith('hook_attn_scores') || hook.endsWith('hook_pattern') ? 2 : 1;
      compare(`padded ${hook}`, arrays[hook], value, worst, (index) => mask[index[0]][index[queryAxis]] === 1);
    }
    expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
  });

  it('greedy generation: the key/value cache, re-running the sequence and the reference agree', async () => {
    const prompt = tokens[0].slice(0, 3);
    const before = tf.memory().numTensors;
    const cached = await model.generate(prompt, { maxNewTokens: 6, stopAtEos: false });
    expect(cached.newTokens).toHaveLength(6);
    expect(cached.tokens).toEqual(await greedyByRerunning(model, prompt, 6));
    expect(tf.memory().numTensors).toBe(before);
    const sequence = [...prompt];
    for (let step = 0; step < 6; step++) sequence.push(argmaxLast(reference(fixture, [sequence]).logits));
    expect(cached.tokens).toEqual(sequence);
  });
}
