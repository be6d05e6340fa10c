/**
 * The proof every added family runs on both engines: every hook and the logits against its
 * float64 reference, padded batch rows against solo runs, and greedy generation with the
 * key/value cache against re-running the whole sequence (and against the reference's argmax).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { hookShape, initBackend, loadModel, saveCheckpoint, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefTensor } from '../fixtures/checkpoints.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import type { ReferenceOptions, ReferenceResult } from '../reference/forward64.ts';

export const TOLERANCE = 1e-4;
export const ENGINES = ['tfjs', 'onnx'] as const;

export interface FamilyCase<F extends { dir: string }> {
  name: string;
  vocab: number;
  make: (dir: string) => F;
  reference: (fixture: F, tokens: number[][], options?: ReferenceOptions) => ReferenceResult;
}

interface Worst {
  error: number;
  where: string;
}

/** Largest absolute difference over the entries `include` keeps; equal infinities (masked scores) agree. */
function compare(name: string, actual: { shape: number[]; data: ArrayLike<number> }, expected: RefTensor, worst: Worst, include?: (index: number[]) => boolean): void {
  expect(actual.shape, `${name} shape`).toEqual(expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    const index = unravel(i, expected.shape);
    if (include && !include(index)) continue;
    const a = actual.data[i];
    const e = expected.data[i];
    const error = a === e ? 0 : Number.isNaN(a) ? Infinity : Math.abs(a - e);
    if (error > worst.error) Object.assign(worst, { error, where: `${name}[${index.join(',')}] model ${a} reference ${e}` });
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

function rowLogits(data: ArrayLike<number>, shape: number[], b: number, from: number, count: number): Float64Array {
  const [, P, V] = shape;
  return Float64Array.from({ length: count * V }, (_, i) => data[(b * P + from) * V + i]);
}

function argmax(values: ArrayLike<number>, from: number, count: number): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[from + i] > values[from + best]) best = i;
  return best;
}

/** Registers the parity suite of each case on each engine. */
export function describeFamilyParity<F extends { dir: string }>(family: string, cases: FamilyCase<F>[], features: { qkNorm?: boolean } = {}): void {
  const scratch = mkdtempSync(join(tmpdir(), `hooklens-${family}-`));
  beforeAll(async () => { await initBackend(); });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  describe.each(cases.flatMap((c) => ENGINES.map((engine) => ({ ...c, engine }))))(`${family} ($engine): $name`, (c) => {
    let fixture: F;
    let model: HookedTransformer;
    const tokens = randomTokens(new Rng(c.name.length * 7919 + 1), 2, 7, c.vocab);

    beforeAll(async () => {
      fixture = c.make(mkdtempSync(join(scratch, 'case-')));
      model = await loadModel(fixture.dir, { engine: c.engine });
      expect(model.engine.name).toBe(c.engine);
    });
    afterAll(() => model?.dispose());

    it('every hook and the logits match the float64 reference; no tensors leak', () => {
      const reference = c.reference(fixture, tokens);
      const before = tf.memory().numTensors;
      const { logits, cache } = model.runWithCache(tokens, { names: () => true });
      const arrays = cache.toArrays();
      const worst: Worst = { error: 0, where: '' };
      compare('logits', { shape: logits.shape, data: logits.dataSync() }, reference.logits, worst);
      expect(model.hookNames()).toEqual([...reference.hooks.keys()]);
      expect(cache.names().slice().sort()).toEqual([...reference.hooks.keys()].sort());
      for (const [hook, expected] of reference.hooks) {
        expect(hookShape(model.config, hook, 2, 7), `hookShape of ${hook}`).toEqual(expected.shape);
        compare(hook, arrays[hook], expected, worst);
      }
      logits.dispose();
      cache.dispose();
      expect(tf.memory().numTensors, 'tensors left after disposing logits and cache').toBe(before);
      console.log(`${family} (${c.engine}) ${c.name}: worst |model - reference| = ${worst.error.toExponential(2)} at ${worst.where}`);
      expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
    });

    it.each(['left', 'right'] as const)('%s-padded batch: real positions equal single-prompt runs and the reference', (side) => {
      const long = tokens[0];
      const short = tokens[1].slice(0, 4);
      const padded = side === 'left' ? [0, 0, 0, ...short] : [...short, 1, 1, 1];
      const mask = [long.map(() => 1), side === 'left' ? [0, 0, 0, 1, 1, 1, 1] : [1, 1, 1, 1, 0, 0, 0]];
      const start = side === 'left' ? 3 : 0;
      const logits = model.forward([long, padded], { attentionMask: mask });
      const data = logits.dataSync();
      const shape = logits.shape;
      logits.dispose();
      const alone = model.forward([short]);
      const aloneData = alone.dataSync();
      alone.dispose();
      const V = shape[2];
      const worst: Worst = { error: 0, where: '' };
      compare('padded short row vs its solo run', { shape: [1, 4, V], data: rowLogits(data, shape, 1, start, 4) }, { shape: [1, 4, V], data: Float64Array.from(aloneData) }, worst);
      compare('padded short row vs reference', { shape: [1, 4, V], data: rowLogits(data, shape, 1, start, 4) }, c.reference(fixture, [short]).logits, worst);
      compare('long row vs reference', { shape: [1, 7, V], data: rowLogits(data, shape, 0, 0, 7) }, c.reference(fixture, [long]).logits, worst);

      const reference = c.reference(fixture, [long, padded], { attentionMask: mask });
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

    it.runIf(features.qkNorm)('an edit at attn.q_norm.hook_normalized reaches the scores: zero queries give uniform causal attention', () => {
      const pattern = model.withHooks([['blocks.0.attn.q_norm.hook_normalized', (x) => tf.zerosLike(x)]], () => {
        const { logits, cache } = model.runWithCache(tokens, { names: ['blocks.0.attn.hook_pattern', 'blocks.0.attn.hook_rot_q'] });
        const arrays = cache.toArrays();
        logits.dispose();
        cache.dispose();
        expect(Array.from(arrays['blocks.0.attn.hook_rot_q'].data).every((x) => x === 0)).toBe(true);
        return arrays['blocks.0.attn.hook_pattern'];
      });
      const [B, H, P] = pattern.shape;
      const worst: Worst = { error: 0, where: '' };
      const uniform = Float64Array.from({ length: B * H * P * P }, (_, i) => ((i % P) <= Math.floor(i / P) % P ? 1 / ((Math.floor(i / P) % P) + 1) : 0));
      compare('pattern with zeroed queries', pattern, { shape: pattern.shape, data: uniform }, worst);
      expect(worst.error, `worst at ${worst.where}`).toBeLessThan(1e-6);
    });

    it("saved in hooklens' own format, it loads back with the same config and logits", async () => {
      const dir = mkdtempSync(join(scratch, 'saved-'));
      saveCheckpoint(dir, model.config, model.exportWeights());
      const reloaded = await loadModel(dir, { engine: c.engine });
      expect(reloaded.config).toEqual(model.config);
      const [a, b] = [model.forward(tokens), reloaded.forward(tokens)];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
      reloaded.dispose();
    });

    it('greedy generation with the key/value cache equals re-running without it, and the reference', async () => {
      const prompt = tokens[0].slice(0, 4);
      const steps = 6;
      const before = tf.memory().numTensors;
      const cached = await model.generate(prompt, { maxNewTokens: steps, stopAtEos: false, prependBos: false });
      const rerun = [...prompt];
      const referenceRun = [...prompt];
      for (let step = 0; step < steps; step++) {
        const next = tf.tidy(() => model.forward([rerun], { unembedPositions: [rerun.length - 1] }).reshape([-1]).argMax());
        rerun.push(next.dataSync()[0]);
        next.dispose();
        const reference = c.reference(fixture, [referenceRun]).logits;
        referenceRun.push(argmax(reference.data, (referenceRun.length - 1) * c.vocab, c.vocab));
      }
      expect(cached.tokens).toEqual(rerun);
      expect(rerun).toEqual(referenceRun);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
