/**
 * The proof each Gemma test file runs per case on both engines, against the float64 reference
 * written from modeling_gemma2.py / modeling_gemma3.py, on tiny random checkpoints whose
 * sliding window (3) is shorter than the sequences, so local layers really mask: every hook and
 * the logits, local vs global patterns, padded rows against solo runs, cached greedy generation
 * past the window.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefTensor } from '../fixtures/checkpoints.ts';
import { writeTinyGemma, type GemmaFixture, type TinyGemmaOptions } from '../fixtures/gemmaCheckpoint.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import { gemmaForward } from '../reference/gemma64.ts';

const TOLERANCE = 1e-4;
const ENGINES = ['tfjs', 'onnx'] as const;
const LENGTH = 9;

export interface GemmaCase {
  name: string;
  options: TinyGemmaOptions;
}

interface Worst {
  error: number;
  where: string;
}

function unravel(index: number, shape: number[]): number[] {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(index % shape[k]);
    index = Math.floor(index / shape[k]);
  }
  return out;
}

/** Largest absolute difference over the entries `include` keeps; equal infinities (masked scores) agree. */
function compare(name: string, actual: { shape: number[]; data: ArrayLike<number> }, expected: RefTensor, worst: Worst, include?: (index: number[]) => boolean): void {
  expect(actual.shape, `${name} shape`).toEqual(expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    if (include && !include(unravel(i, expected.shape))) continue;
    const a = actual.data[i];
    const e = expected.data[i];
    const error = a === e ? 0 : Number.isNaN(a) ? Infinity : Math.abs(a - e);
    if (error > worst.error) Object.assign(worst, { error, where: `${name}[${unravel(i, expected.shape).join(',')}] model ${a} reference ${e}` });
  }
}

function rowOf(data: ArrayLike<number>, shape: readonly number[], row: number, from: number, count: number): Float64Array {
  const [, P, V] = shape;
  return Float64Array.from({ length: count * V }, (_, i) => data[(row * P + from) * V + i]);
}

function argmax(values: ArrayLike<number>, from: number, count: number): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[from + i] > values[from + best]) best = i;
  return best;
}

/** Registers the parity suite of each case on each engine. */
export function describeGemmaParity(cases: GemmaCase[]): void {
  let scratch: string;
  beforeAll(async () => {
    await initBackend();
    scratch = mkdtempSync(join(tmpdir(), 'hooklens-gemma-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  describe.each(cases.flatMap((c) => ENGINES.map((engine) => ({ ...c, family: c.options.family, engine }))))('$family $name ($engine)', (c) => {
    let fixture: GemmaFixture;
    let model: HookedTransformer;
    const vocab = c.options.vocab ?? 97;
    const tokens = randomTokens(new Rng(c.options.seed), 2, LENGTH, vocab);

    beforeAll(async () => {
      fixture = writeTinyGemma(mkdtempSync(join(scratch, 'case-')), c.options);
      model = await loadModel(fixture.dir, { engine: c.engine });
      expect(model.engine.name).toBe(c.engine);
    });
    afterAll(() => model?.dispose());

    it('every hook and the logits match the float64 reference; no tensors leak', () => {
      const reference = gemmaForward(fixture, tokens);
      const before = tf.memory().numTensors;
      const { logits, cache } = model.runWithCache(tokens, { names: () => true });
      const arrays = cache.toArrays();
      const worst: Worst = { error: 0, where: '' };
      compare('logits', { shape: logits.shape, data: logits.dataSync() }, reference.logits, worst);
      expect(model.hookNames()).toEqual([...reference.hooks.keys()]);
      for (const [hook, expected] of reference.hooks) compare(hook, arrays[hook], expected, worst);
      logits.dispose();
      cache.dispose();
      expect(tf.memory().numTensors, 'tensors left after disposing logits and cache').toBe(before);
      console.log(`${c.family} ${c.name} (${c.engine}): worst |model - reference| = ${worst.error.toExponential(2)} at ${worst.where}`);
      expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
    });

    it('local layers see only the last sliding_window keys; global layers see them all', () => {
      const window = fixture.config.sliding_window as number;
      const { logits, cache } = model.runWithCache([tokens[0]], { names: /hook_pattern/ });
      const types = model.config.attnTypes!;
      expect(types).toContain('local');
      expect(types).toContain('global');
      types.forEach((type, layer) => {
        const pattern = cache.get(`blocks.${layer}.attn.hook_pattern`).arraySync() as number[][][][];
        const last = pattern[0][0][LENGTH - 1]; // head 0, last query
        const outside = last.slice(0, LENGTH - window);
        if (type === 'local') expect(outside.every((p) => p === 0)).toBe(true);
        else expect(outside.every((p) => p > 0)).toBe(true);
      });
      logits.dispose();
      cache.dispose();
    });

    it.each(['left', 'right'] as const)('%s-padded batch: real positions equal single-prompt runs and the reference', (side) => {
      const long = tokens[0];
      const short = tokens[1].slice(0, 6);
      const pads = LENGTH - short.length;
      const padded = side === 'left' ? [...new Array<number>(pads).fill(0), ...short] : [...short, ...new Array<number>(pads).fill(0)];
      const mask = [long.map(() => 1), padded.map((_, i) => (side === 'left' ? (i >= pads ? 1 : 0) : (i < short.length ? 1 : 0)))];
      const start = side === 'left' ? pads : 0;
      const logits = model.forward([long, padded], { attentionMask: mask });
      const data = logits.dataSync();
      const shape = logits.shape;
      logits.dispose();
      const alone = model.forward([short]);
      const aloneData = Float64Array.from(alone.dataSync());
      alone.dispose();
      const V = shape[2];
      const worst: Worst = { error: 0, where: '' };
      compare('padded short row vs its solo run', { shape: [1, short.length, V], data: rowOf(data, shape, 1, start, short.length) }, { shape: [1, short.length, V], data: aloneData }, worst);
      compare('padded short row vs reference', { shape: [1, short.length, V], data: rowOf(data, shape, 1, start, short.length) }, gemmaForward(fixture, [short]).logits, worst);
      compare('long row vs reference', { shape: [1, LENGTH, V], data: rowOf(data, shape, 0, 0, LENGTH) }, gemmaForward(fixture, [long]).logits, worst);

      const reference = gemmaForward(fixture, [long, padded], { attentionMask: mask });
      const { logits: cachedLogits, cache } = model.runWithCache([long, padded], { attentionMask: mask });
      const arrays = cache.toArrays();
      cachedLogits.dispose();
      cache.dispose();
      for (const [hook, expected] of reference.hooks) {
        const queryAxis = hook.endsWith('hook_attn_scores') || hook.endsWith('hook_pattern') ? 2 : 1;
        compare(`padded ${hook}`, arrays[hook], expected, worst, (index) => mask[index[0]][index[queryAxis]] === 1);
      }
      expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
    });

    it('greedy generation past the window: the key/value cache equals re-running without it, and the reference', async () => {
      const prompt = tokens[0].slice(0, 4);
      const steps = 6;
      const before = tf.memory().numTensors;
      const cached = await model.generate(prompt, { maxNewTokens: steps, stopAtEos: false, prependBos: false });
      const referenceRun = [...prompt];
      for (let step = 0; step < steps; step++) {
        const reference = gemmaForward(fixture, [referenceRun]).logits;
        referenceRun.push(argmax(reference.data, (referenceRun.length - 1) * vocab, vocab));
      }
      expect(cached.tokens).toEqual(referenceRun);
      // Re-running the whole sequence per step: on onnx every length is a new graph, so only on
      // tfjs; onnx's uncached forward is held to the reference by the tests above.
      if (c.engine === 'tfjs') {
        const rerun = [...prompt];
        for (let step = 0; step < steps; step++) {
          const next = tf.tidy(() => model.forward([rerun], { unembedPositions: [rerun.length - 1] }).reshape([-1]).argMax());
          rerun.push(next.dataSync()[0]);
          next.dispose();
        }
        expect(cached.tokens).toEqual(rerun);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
