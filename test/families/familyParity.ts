/**
 * The one parity harness every added family runs on both engines: every hook and the logits
 * against its float64 reference, padded batch rows against solo runs, and greedy generation with
 * the key/value cache against re-running the whole sequence (and against the reference's argmax).
 * `describeFamilyParity` is the whole suite (OLMo-2, Qwen3); neoxphiChecks.ts and gemmaParity.ts
 * register their suites from the same checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { hookShape, initBackend, loadModel, saveCheckpoint, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greedyByRerunning } from '../../packages/core/test/greedyByRerunning.ts';
import type { RefTensor } from '../fixtures/checkpoints.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import type { ReferenceOptions, ReferenceResult } from '../reference/forward64.ts';

export const TOLERANCE = 1e-4;
export const ENGINES = ['tfjs', 'onnx'] as const;
export type Engine = (typeof ENGINES)[number];

export interface FamilyCase<F extends { dir: string }> {
  name: string;
  vocab: number;
  make: (dir: string) => F;
  reference: (fixture: F, tokens: number[][], options?: ReferenceOptions) => ReferenceResult;
}

/** A case's reference with its fixture bound. */
export type Reference = (tokens: number[][], options?: ReferenceOptions) => ReferenceResult;

export interface Worst {
  error: number;
  where: string;
}

/**
 * Largest absolute difference over the entries `include` keeps; equal infinities (masked scores)
 * agree, and a NaN on either side counts as an infinite error.
 */
export function compare(name: string, actual: { shape: number[]; data: ArrayLike<number> }, expected: RefTensor, worst: Worst, include?: (index: number[]) => boolean): void {
  expect(actual.shape, `${name} shape`).toEqual(expected.shape);
  for (let i = 0; i < expected.data.length; i++) {
    const index = unravel(i, expected.shape);
    if (include && !include(index)) continue;
    const a = actual.data[i];
    const e = expected.data[i];
    const error = a === e ? 0 : Number.isNaN(a) ? Infinity : Math.abs(a - e);
    if (error > worst.error || Number.isNaN(error)) Object.assign(worst, { error: Number.isNaN(error) ? Infinity : error, where: `${name}[${index.join(',')}] model ${a} reference ${e}` });
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

/** Logits rows [from, from + count) of batch row b, as a flat array. */
export function rowLogits(data: ArrayLike<number>, shape: readonly number[], b: number, from: number, count: number): Float64Array {
  const [, P, V] = shape;
  return Float64Array.from({ length: count * V }, (_, i) => data[(b * P + from) * V + i]);
}

/** Argmax over the last position of reference logits [1, P, V]. */
function argmaxLast(logits: RefTensor): number {
  const [, P, V] = logits.shape;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits.data[(P - 1) * V + i] > logits.data[(P - 1) * V + best]) best = i;
  return best;
}

export interface HookCheck {
  /** model.hookNames() equals the reference's hooks in forward order, or only as a set. */
  hookOrder: 'exact' | 'sorted';
  /** Also: the cache holds exactly the reference's hooks, and hookShape agrees with each. */
  cacheNamesAndShapes: boolean;
}

/** Every hook and the logits of one run against the reference; no tensors leak. */
export function checkHooksAndLogits(model: HookedTransformer, expected: ReferenceResult, tokens: number[][], label: string, check: HookCheck): void {
  const before = tf.memory().numTensors;
  const { logits, cache } = model.runWithCache(tokens, { names: () => true });
  const arrays = cache.toArrays();
  const worst: Worst = { error: 0, where: '' };
  compare('logits', { shape: logits.shape, data: logits.dataSync() }, expected.logits, worst);
  const order = (names: readonly string[]) => (check.hookOrder === 'exact' ? [...names] : names.slice().sort());
  expect(order(model.hookNames())).toEqual(order([...expected.hooks.keys()]));
  if (check.cacheNamesAndShapes) expect(cache.names().slice().sort()).toEqual([...expected.hooks.keys()].sort());
  for (const [hook, value] of expected.hooks) {
    if (check.cacheNamesAndShapes) expect(hookShape(model.config, hook, tokens.length, tokens[0].length), `hookShape of ${hook}`).toEqual(value.shape);
    compare(hook, arrays[hook], value, worst);
  }
  logits.dispose();
  cache.dispose();
  expect(tf.memory().numTensors, 'tensors left after disposing logits and cache').toBe(before);
  console.log(`${label}: worst |model - reference| = ${worst.error.toExponential(2)} at ${worst.where}`);
  expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
}

export interface PaddedCheck {
  /** Length of the short prompt (tokens[1]'s head); the rest of the row is padding. */
  shortLength: number;
  /** Token the right padding uses (left padding is 0). */
  rightPad: number;
  /**
   * 'forward': the padded logits come from forward() and the hooks from a second runWithCache;
   * the padded row is held to the reference. 'runWithCache': logits and every hook from one
   * runWithCache that leaks no tensors; the solo run is held to the reference.
   */
  run: 'forward' | 'runWithCache';
}

/** A batch of the full-length tokens[0] and a padded short prompt: real positions equal solo runs and the reference. */
export function checkPaddedRows(model: HookedTransformer, tokens: number[][], side: 'left' | 'right', reference: Reference, check: PaddedCheck): void {
  const long = tokens[0];
  const L = long.length;
  const S = check.shortLength;
  const short = tokens[1].slice(0, S);
  const pads = L - S;
  const padded = side === 'left' ? [...new Array<number>(pads).fill(0), ...short] : [...short, ...new Array<number>(pads).fill(check.rightPad)];
  const mask = [long.map(() => 1), padded.map((_, i) => (side === 'left' ? (i >= pads ? 1 : 0) : (i < S ? 1 : 0)))];
  const start = side === 'left' ? pads : 0;
  const before = tf.memory().numTensors;
  const forwarded = check.run === 'forward' ? model.forward([long, padded], { attentionMask: mask }) : undefined;
  const run = model.runWithCache([long, padded], forwarded ? { attentionMask: mask } : { attentionMask: mask, names: () => true });
  const data = (forwarded ?? run.logits).dataSync();
  const shape = (forwarded ?? run.logits).shape;
  const arrays = run.cache.toArrays();
  forwarded?.dispose();
  run.logits.dispose();
  run.cache.dispose();
  const solo = model.forward([short]);
  const soloData = Float64Array.from(solo.dataSync());
  solo.dispose();
  if (check.run === 'runWithCache') expect(tf.memory().numTensors).toBe(before);

  const V = shape[2];
  const worst: Worst = { error: 0, where: '' };
  const paddedRow = rowLogits(data, shape, 1, start, S);
  compare('padded short row vs its solo run', { shape: [1, S, V], data: paddedRow }, { shape: [1, S, V], data: soloData }, worst);
  if (check.run === 'forward') compare('padded short row vs reference', { shape: [1, S, V], data: paddedRow }, reference([short]).logits, worst);
  else compare('solo run vs reference', { shape: [1, S, V], data: soloData }, reference([short]).logits, worst);
  compare('long row vs reference', { shape: [1, L, V], data: rowLogits(data, shape, 0, 0, L) }, reference([long]).logits, worst);
  for (const [hook, expected] of reference([long, padded], { attentionMask: mask }).hooks) {
    const queryAxis = hook.endsWith('hook_attn_scores') || hook.endsWith('hook_pattern') ? 2 : 1;
    compare(`padded ${hook}`, arrays[hook], expected, worst, (index) => mask[index[0]][index[queryAxis]] === 1);
  }
  expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
}

export interface GreedyCheck {
  /** Passed to generate(); left out when undefined (the checkpoint's default). */
  prependBos?: boolean;
  /** Also hold the cached run to re-running the whole sequence per step. */
  rerun: boolean;
}

/** Greedy generation with the key/value cache equals the reference's argmax (and re-running, when asked); no tensors leak. */
export async function checkGreedy(model: HookedTransformer, prompt: number[], steps: number, reference: Reference, check: GreedyCheck): Promise<void> {
  const before = tf.memory().numTensors;
  const cached = await model.generate(prompt, { maxNewTokens: steps, stopAtEos: false, ...(check.prependBos === undefined ? {} : { prependBos: check.prependBos }) });
  expect(cached.newTokens).toHaveLength(steps);
  if (check.rerun) expect(cached.tokens).toEqual(await greedyByRerunning(model, prompt, steps));
  const sequence = [...prompt];
  for (let step = 0; step < steps; step++) sequence.push(argmaxLast(reference([sequence]).logits));
  expect(cached.tokens).toEqual(sequence);
  expect(tf.memory().numTensors).toBe(before);
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
    const reference: Reference = (t, options) => c.reference(fixture, t, options);

    beforeAll(async () => {
      fixture = c.make(mkdtempSync(join(scratch, 'case-')));
      model = await loadModel(fixture.dir, { engine: c.engine });
      expect(model.engine.name).toBe(c.engine);
    });
    afterAll(() => model?.dispose());

    it('every hook and the logits match the float64 reference; no tensors leak', () => {
      checkHooksAndLogits(model, reference(tokens), tokens, `${family} (${c.engine}) ${c.name}`, { hookOrder: 'exact', cacheNamesAndShapes: true });
    });

    it.each(['left', 'right'] as const)('%s-padded batch: real positions equal single-prompt runs and the reference', (side) => {
      checkPaddedRows(model, tokens, side, reference, { shortLength: 4, rightPad: 1, run: 'forward' });
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
      await checkGreedy(model, tokens[0].slice(0, 4), 6, reference, { prependBos: false, rerun: true });
    });
  });
}
