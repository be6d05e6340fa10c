import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hookName, initBackend } from '@hooklens/core';
import type { HookedTransformer, ModelConfig } from '@hooklens/core';
import { randomModel } from '@hooklens/core/testing';
import { activationPatching, patchEveryBlock, PATCH_KINDS } from '../src/patching.ts';
import type { PatchKind, PatchingGrid, PatchingHeadPositionGrid, PatchingResult } from '../src/patching.ts';

beforeAll(async () => { await initBackend(); });

const clean = [3, 5, 7, 9, 11, 4];
const corrupted = [3, 9, 7, 5, 11, 4];
const answer = 5;
const wrong = 9;

// Seeds whose clean and corrupted metrics differ clearly (≈0.6): normalising by a tiny gap
// would blow float32 noise up past the 1e-4 tolerance.
const MODELS: [string, Partial<ModelConfig>, number][] = [
  ['gpt2-like', {}, 19],
  ['rotary GQA (llama-like)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }, 9],
];

/** logit[answer] − logit[wrong] at the last position, read from full logits on the host. */
function metricByHand(logits: tf.Tensor3D): number {
  const rows = logits.arraySync();
  logits.dispose();
  const last = rows[0][rows[0].length - 1];
  return last[answer] - last[wrong];
}

/**
 * The activation with the clean one's entries copied in wherever `take(index)` holds,
 * element by element on the host (independent of the sweep's masks and batching).
 */
function copyWhere(activation: tf.Tensor, clean: tf.Tensor, take: (index: number[]) => boolean): tf.Tensor {
  const data = Float32Array.from(activation.dataSync());
  const source = clean.dataSync();
  const shape = activation.shape;
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let rest = flat;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = rest % shape[axis];
      rest = Math.floor(rest / shape[axis]);
    }
    if (take(index)) data[flat] = source[flat];
  }
  return tf.tensor(data, shape);
}

const SUFFIX: Record<string, string> = {
  resid_pre: 'hook_resid_pre', resid_mid: 'hook_resid_mid', attn_out: 'hook_attn_out', mlp_out: 'hook_mlp_out',
  z: 'attn.hook_z', q: 'attn.hook_q', k: 'attn.hook_k', v: 'attn.hook_v', pattern: 'attn.hook_pattern',
};

/** Which entries one cell patches: [b, pos, …] activations, except pattern [b, head, query, key]. */
function selector(base: string, head: number | undefined, position: number | undefined): (index: number[]) => boolean {
  if (head === undefined) return (index) => index[1] === position;
  if (base === 'pattern') return (index) => index[1] === head && (position === undefined || index[2] === position);
  return (index) => index[2] === head && (position === undefined || index[1] === position);
}

/** One plain, unbatched run per cell with a hand-written hook; the normalised metric. */
function cellByHand(model: HookedTransformer, kind: PatchKind, layer: number, head: number | undefined, position: number | undefined): number {
  const base = kind.replace(/_by_pos$/, '');
  const hook = hookName(`blocks.${layer}.${SUFFIX[base]}`);
  const { logits: cleanLogits, cache } = model.runWithCache([clean], { names: [hook as never] });
  const cleanMetric = metricByHand(cleanLogits);
  const corruptMetric = metricByHand(model.forward([corrupted]));
  const cleanActivation = cache.get(hook);
  const patched = metricByHand(model.runWithHooks([corrupted], {
    fwdHooks: [[hook as never, (activation) => copyWhere(activation, cleanActivation, selector(base, head, position))]],
  }));
  cache.dispose();
  return (patched - corruptMetric) / (cleanMetric - corruptMetric);
}

/** The whole grid by hand, in the result's layout. */
function gridByHand(model: HookedTransformer, kind: PatchKind): number[][] | number[][][] {
  const { nLayers, nHeads, nKvHeads } = model.config;
  const layers = Array.from({ length: nLayers }, (_, l) => l);
  const positions = clean.map((_, p) => p);
  const base = kind.replace(/_by_pos$/, '');
  const heads = Array.from({ length: base === 'k' || base === 'v' ? nKvHeads : nHeads }, (_, h) => h);
  if (['resid_pre', 'resid_mid', 'attn_out', 'mlp_out'].includes(kind)) return layers.map((l) => positions.map((p) => cellByHand(model, kind, l, undefined, p)));
  if (!kind.endsWith('_by_pos')) return layers.map((l) => heads.map((h) => cellByHand(model, kind, l, h, undefined)));
  return layers.map((l) => heads.map((h) => positions.map((p) => cellByHand(model, kind, l, h, p))));
}

function expectClose(actual: unknown, expected: unknown, path = ''): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((item, i) => expectClose((actual as unknown[])[i], item, `${path}[${i}]`));
    return;
  }
  expect(Math.abs((actual as number) - (expected as number)), `${path}: ${String(actual)} vs ${String(expected)}`).toBeLessThan(1e-4);
}

describe.each(MODELS)('activationPatching on a %s model', (_label, overrides, seed) => {
  it.each(PATCH_KINDS.map((kind) => [kind]))('%s equals one hand-hooked run per cell', async (kind) => {
    const model = randomModel(overrides, seed);
    const before = tf.memory().numTensors;
    const result = await activationPatching(model, clean, corrupted, { kind, answer, wrong, batchSize: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.kind).toBe(kind);
    expect(result.rows).toEqual(['L0', 'L1']);
    const expected = gridByHand(model, kind);
    expectClose(result.values, expected);
    const base = kind.replace(/_by_pos$/, '');
    if (kind.endsWith('_by_pos')) expect((result as PatchingHeadPositionGrid).positions).toEqual(clean.map((id, p) => `pos ${p}: #${id}`));
    else if (['resid_pre', 'resid_mid', 'attn_out', 'mlp_out'].includes(kind)) expect(result.cols[1]).toBe('pos 1: #5');
    else {
      const kv = (base === 'k' || base === 'v') && model.config.nKvHeads < model.config.nHeads;
      expect(result.cols).toEqual((expected as number[][])[0].map((_, h) => `${kv ? 'KV' : 'H'}${h}`));
    }
    model.dispose();
  });

  it('byPosition: true is the same as the _by_pos kind', async () => {
    const model = randomModel(overrides, seed);
    const a = await activationPatching(model, clean, corrupted, { kind: 'z', byPosition: true, answer, wrong });
    const b = await activationPatching(model, clean, corrupted, { kind: 'z_by_pos', answer, wrong });
    expect(a).toEqual(b);
    model.dispose();
  });

  it('patchEveryBlock returns resid_pre, attn_out and mlp_out, each equal to its own sweep', async () => {
    const model = randomModel(overrides, seed);
    const before = tf.memory().numTensors;
    const every = await patchEveryBlock(model, clean, corrupted, { answer, wrong, batchSize: 7 });
    expect(tf.memory().numTensors).toBe(before);
    for (const kind of ['resid_pre', 'attn_out', 'mlp_out'] as const) {
      const single = await activationPatching(model, clean, corrupted, { kind, answer, wrong });
      expect(every[kind]!.kind).toBe(kind);
      expectClose(every[kind]!.values, single.values, kind);
    }
    model.dispose();
  });
});

describe('activationPatching sanity', () => {
  // The prompts differ only at position 2: patching the clean resid_pre there at layer 0 IS the clean run.
  const cleanOne = [3, 5, 7, 9, 11, 4];
  const corruptOne = [3, 5, 8, 9, 11, 4];

  it('resid_pre at layer 0 recovers clean (1) where the prompts differ and 0 where they agree', async () => {
    const model = randomModel({}, 5);
    const grid = await activationPatching(model, cleanOne, corruptOne, { kind: 'resid_pre', answer, wrong });
    expect(grid.values[0][2]).toBeCloseTo(1, 5);
    for (const p of [0, 1]) expect(grid.values[0][p]).toBeCloseTo(0, 6); // before the difference nothing changes
    // at the last layer, patching the last position's residual stream...
    expect(grid.clean).not.toBe(grid.corrupted);
    model.dispose();
  });

  it('the metric position and a custom metric are honoured', async () => {
    const model = randomModel({}, 5);
    const metric = (logits: tf.Tensor3D) => logits.slice([0, 0, answer], [-1, 1, 1]).reshape([-1]) as tf.Tensor1D;
    const grid = await activationPatching(model, clean, corrupted, { kind: 'attn_out', metric, layers: [1], positions: [1, 3] });
    expect(grid.rows).toEqual(['L1']);
    expect(grid.cols).toEqual(['pos 1: #5', 'pos 3: #9']);
    // By hand: logit[answer] at the last position.
    const read = (logits: tf.Tensor3D) => { const v = logits.arraySync()[0][5][answer]; logits.dispose(); return v; };
    const { logits: cleanLogits, cache } = model.runWithCache([clean], { names: ['blocks.1.hook_attn_out'] });
    const c = read(cleanLogits);
    const k = read(model.forward([corrupted]));
    const cleanOut = cache.get('blocks.1.hook_attn_out');
    for (const [col, p] of [[0, 1], [1, 3]]) {
      const v = read(model.runWithHooks([corrupted], { fwdHooks: [['blocks.1.hook_attn_out', (a) => copyWhere(a, cleanOut, (i) => i[1] === p)]] }));
      expect(grid.values[0][col]).toBeCloseTo((v - k) / (c - k), 4);
    }
    cache.dispose();
    expect(grid.clean).toBeCloseTo(c, 4);
    model.dispose();
  });
});

describe('activationPatching progress, cancellation and errors', () => {
  it('reports progress up to the total, in batches', async () => {
    const model = randomModel({}, 3);
    const calls: [number, number][] = [];
    await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, batchSize: 4, onProgress: (done, total) => calls.push([done, total]) });
    // Position 0 precedes the first difference: its 2 cells (one per layer) need no run and come
    // first; then 5 positions per layer in batches of 4 + 1, twice.
    expect(calls.map(([done]) => done)).toEqual([2, 6, 7, 11, 12]);
    expect(calls.every(([, total]) => total === 12)).toBe(true);
    model.dispose();
  });

  it('cancellation mid-sweep throws AbortError and leaks nothing', async () => {
    const model = randomModel({}, 3);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let calls = 0;
    const run = activationPatching(model, clean, corrupted, {
      kind: 'z_by_pos', answer, wrong, batchSize: 3,
      onProgress: () => { if (++calls === 2) controller.abort(); },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', message: 'sweep cancelled' });
    expect(calls).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('an already-aborted signal rejects before running', async () => {
    const model = randomModel({}, 3);
    const controller = new AbortController();
    controller.abort();
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    model.dispose();
  });

  it('bad input gets clear errors', async () => {
    const model = randomModel({}, 3);
    const gqa = randomModel({ normType: 'rmsnorm', positional: 'rotary', nKvHeads: 2 }, 3);
    const attnOnly = randomModel({ attnOnly: true }, 3);
    const before = tf.memory().numTensors;
    const base = { answer, wrong } as const;
    await expect(activationPatching(model, clean, corrupted.slice(0, 5), { kind: 'resid_pre', ...base })).rejects.toThrow(/clean prompt has 6 tokens but the corrupted prompt has 5/);
    await expect(activationPatching(model, [], [], { kind: 'resid_pre', ...base })).rejects.toThrow(/clean prompt is empty/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid_pre', ...base, layers: [2] })).rejects.toThrow(/unknown layer 2: valid layers are 0 to 1/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'z', ...base, heads: [4] })).rejects.toThrow(/unknown head 4: valid heads are 0 to 3/);
    await expect(activationPatching(gqa, clean, corrupted, { kind: 'k', ...base, heads: [2] })).rejects.toThrow(/unknown key\/value head 2: valid key\/value heads are 0 to 1/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'attn_out', ...base, positions: [6] })).rejects.toThrow(/unknown position 6/);
    await expect(activationPatching(attnOnly, clean, corrupted, { kind: 'mlp_out', ...base })).rejects.toThrow(/attention-only/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid' as PatchKind, ...base })).rejects.toThrow(/unknown patch kind 'resid'/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'attn_out', byPosition: true, ...base })).rejects.toThrow(/byPosition applies to head kinds/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid_pre' })).rejects.toThrow(/answer and wrong/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer: 99, wrong })).rejects.toThrow(/answer token id 99 is out of range/);
    await expect(activationPatching(model, clean, clean, { kind: 'resid_pre', ...base })).rejects.toThrow(/same metric/);
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid_pre', ...base, batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    const wrongShape = (logits: tf.Tensor3D) => logits.reshape([-1]) as tf.Tensor1D;
    await expect(activationPatching(model, clean, corrupted, { kind: 'resid_pre', metric: wrongShape })).rejects.toThrow(/metric returned shape \[23\], expected \[1\]/);
    expect(tf.memory().numTensors).toBe(before);
    for (const m of [model, gqa, attnOnly]) m.dispose();
  });
});

// Keep the result types exercised by the compiler.
const _typeCheck = (result: PatchingResult): PatchingGrid | PatchingHeadPositionGrid => result;
void _typeCheck;
