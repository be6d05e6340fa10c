/**
 * Parity of the hooked transformer with the independent float64 reference: every hook
 * and the logits, on tiny random checkpoints in each supported format, written in the
 * checkpoint's own naming so the loaders' re-layout is checked too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, ENGINES, rowLogits, TOLERANCE, type Worst } from './families/familyParity.ts';
import { GPT2_VOCAB, readLlama2cFixture, writeTinyGpt2, writeTinyLlama, writeTinyLlama2c, type Fixture } from './fixtures/checkpoints.ts';
import { Rng, randomTokens } from './fixtures/random.ts';
import { TEST_MODELS } from './fixtures/testModels.ts';
import { referenceForward, referenceLoss } from './reference/forward64.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-parity-'));

beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  name: string;
  make: (dir: string) => Fixture;
  vocab: number;
}

const cases: Case[] = [
  { name: 'gpt2, tied, no prefix, with attn.bias buffers', vocab: 97, make: (dir) => writeTinyGpt2(dir, { seed: 101, maskBuffers: true }) },
  { name: 'gpt2, tied, transformer. prefix', vocab: 97, make: (dir) => writeTinyGpt2(dir, { seed: 102, prefix: true, nLayers: 3 }) },
  { name: 'gpt2, untied lm_head', vocab: 97, make: (dir) => writeTinyGpt2(dir, { seed: 103, prefix: true, tied: false }) },
  { name: 'llama, GQA (4 q / 2 kv heads), untied', vocab: 97, make: (dir) => writeTinyLlama(dir, { seed: 201, nHeads: 4, nKvHeads: 2 }) },
  { name: 'llama, MHA, tied', vocab: 97, make: (dir) => writeTinyLlama(dir, { seed: 202, nHeads: 4, nKvHeads: 4, tied: true }) },
  { name: 'llama, BF16, MQA', vocab: 97, make: (dir) => writeTinyLlama(dir, { seed: 203, dtype: 'BF16', nKvHeads: 1 }) },
  { name: 'llama, F16', vocab: 97, make: (dir) => writeTinyLlama(dir, { seed: 204, dtype: 'F16' }) },
  {
    name: 'llama, sharded, d_head 8, rope_theta 5e5', vocab: 97,
    make: (dir) => writeTinyLlama(dir, { seed: 205, sharded: true, dModel: 32, nHeads: 4, nKvHeads: 2, dMlp: 48, ropeTheta: 500000 }),
  },
  {
    name: 'llama2.c, GQA, shared classifier', vocab: 64,
    make: (dir) => writeTinyLlama2c(join(dir, 'model.bin'), { seed: 301, dim: 32, hiddenDim: 48, nHeads: 4, nKvHeads: 2, vocab: 64 }),
  },
  {
    name: 'llama2.c, unshared classifier', vocab: 64,
    make: (dir) => writeTinyLlama2c(join(dir, 'model.bin'), { seed: 302, nHeads: 2, nKvHeads: 1, vocab: 64, shared: false }),
  },
];

// The real stories260K (llama2.c, GQA 8/4 heads, 5 layers) read by an independent parser.
const STORIES = TEST_MODELS.stories260K?.bin ?? '';
const storiesCase: Case = { name: 'llama2.c stories260K (real checkpoint)', vocab: 512, make: () => readLlama2cFixture(STORIES) };

// Every case runs on both engines: eager tfjs and ONNX Runtime (the same components traced into a graph).
const onBothEngines = (list: Case[]) => list.flatMap((c) => ENGINES.map((engine) => ({ ...c, engine })));

describe.each(onBothEngines(cases))('parity ($engine): $name', parityCase);
describe.skipIf(!STORIES).each(onBothEngines([storiesCase]))('parity ($engine): $name', parityCase);

function parityCase({ name, make, vocab, engine }: Case & { engine: (typeof ENGINES)[number] }): void {
  let fixture: Fixture;
  let model: HookedTransformer;
  const rng = new Rng(name.length * 7919);
  const tokens = randomTokens(rng, 2, 7, vocab);

  beforeAll(async () => {
    fixture = make(mkdtempSync(join(scratch, 'case-')));
    model = await loadModel(fixture.dir, { engine });
    expect(model.engine.name).toBe(engine);
  });
  afterAll(() => model?.dispose());

  it('every hook and the logits match the float64 reference; no tensors leak', () => {
    const reference = referenceForward(fixture, tokens);
    const before = tf.memory().numTensors;
    const { logits, cache } = model.runWithCache(tokens, { names: () => true });
    const arrays = cache.toArrays();
    const worst: Worst = { error: 0, where: '' };
    compare('logits', { shape: logits.shape, data: logits.dataSync() }, reference.logits, worst);
    expect(cache.names().slice().sort()).toEqual([...reference.hooks.keys()].sort());
    expect(model.hookNames().slice().sort()).toEqual([...reference.hooks.keys()].sort());
    for (const [hook, expected] of reference.hooks) compare(hook, arrays[hook], expected, worst);
    logits.dispose();
    cache.dispose();
    expect(tf.memory().numTensors, 'tensors left after disposing logits and cache').toBe(before);
    console.log(`parity (${engine}) ${name}: worst |model - reference| = ${worst.error.toExponential(2)} at ${worst.where}`);
    expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
  });

  it.each(['left', 'right'] as const)('%s-padded batch: real positions equal single-prompt runs', (side) => {
    const long = tokens[0];
    const short = tokens[1].slice(0, 4);
    const pad = side === 'left' ? [0, 0, 0] : [];
    const padded = side === 'left' ? [0, 0, 0, ...short] : [...short, 1, 1, 1];
    const mask = [long.map(() => 1), side === 'left' ? [0, 0, 0, 1, 1, 1, 1] : [1, 1, 1, 1, 0, 0, 0]];
    const start = pad.length;

    const logits = model.forward([long, padded], { attentionMask: mask });
    const data = logits.dataSync();
    const shape = logits.shape;
    logits.dispose();
    const aloneModel = model.forward([short]);
    const aloneModelData = aloneModel.dataSync();
    aloneModel.dispose();
    const aloneRef = referenceForward(fixture, [short]).logits;
    const longRef = referenceForward(fixture, [long]).logits;

    const worst: Worst = { error: 0, where: '' };
    const V = shape[2];
    compare('long row logits', { shape: [1, 7, V], data: rowLogits(data, shape, 0, 0, 7) }, longRef, worst);
    compare('short row logits vs reference', { shape: [1, 4, V], data: rowLogits(data, shape, 1, start, 4) }, aloneRef, worst);
    compare('model single-prompt logits vs reference', { shape: [1, 4, V], data: aloneModelData }, aloneRef, worst);
    expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);

    // Every hook of the padded batch at real positions (query rows for [b, head, q, k] hooks).
    // Padding positions are left out: TL zeroes hook_pos_embed there, which only pads see.
    const reference = referenceForward(fixture, [long, padded], { attentionMask: mask });
    const { logits: cachedLogits, cache } = model.runWithCache([long, padded], { attentionMask: mask });
    const arrays = cache.toArrays();
    cachedLogits.dispose();
    cache.dispose();
    for (const [hook, expected] of reference.hooks) {
      const queryAxis = hook.endsWith('hook_attn_scores') || hook.endsWith('hook_pattern') ? 2 : 1;
      compare(`padded ${hook}`, arrays[hook], expected, worst, (index) => mask[index[0]][index[queryAxis]] === 1);
    }
    expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);

    const selfWorst: Worst = { error: 0, where: '' };
    compare('padded short row vs model single-prompt', { shape: [1, 4, V], data: rowLogits(data, shape, 1, start, 4) }, { shape: [1, 4, V], data: Float64Array.from(aloneModelData) }, selfWorst);
    expect(selfWorst.error, `worst at ${selfWorst.where}`).toBeLessThan(TOLERANCE);
  });

  it('loss equals the reference cross-entropy, with and without padding', () => {
    const reference = referenceForward(fixture, tokens);
    const loss = model.forward(tokens, { returnType: 'loss' });
    expect(loss.size).toBe(1);
    expect(Math.abs(loss.dataSync()[0] - referenceLoss(reference.logits, tokens))).toBeLessThan(TOLERANCE);
    loss.dispose();

    const padded = [tokens[0], [0, 0, ...tokens[1].slice(0, 5)]];
    const mask = [[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]];
    const paddedRef = referenceForward(fixture, padded, { attentionMask: mask });
    const paddedLoss = model.forward(padded, { returnType: 'loss', attentionMask: mask });
    expect(Math.abs(paddedLoss.dataSync()[0] - referenceLoss(paddedRef.logits, padded, mask))).toBeLessThan(TOLERANCE);
    paddedLoss.dispose();
  });
}

describe.skipIf(!TEST_MODELS.gpt2TokenizerDir).each(ENGINES)('parity (%s): gpt2 with the real 50257-token GPT-2 tokenizer', (engine) => {
  let fixture: Fixture;
  let model: HookedTransformer;

  beforeAll(async () => {
    fixture = writeTinyGpt2(mkdtempSync(join(scratch, 'tok-')), { seed: 401, vocab: GPT2_VOCAB, nLayers: 1, withTokenizer: true });
    model = await loadModel(fixture.dir, { engine });
  });
  afterAll(() => model?.dispose());

  it('tokenizes text and matches the reference logits on it', () => {
    expect(model.tokenizer).toBeDefined();
    const ids = model.toTokens('Hello world, hello hooks', { prependBos: false });
    expect(ids.slice(0, 2)).toEqual([15496, 995]);
    const reference = referenceForward(fixture, [ids]);
    const logits = model.forward(ids);
    const worst: Worst = { error: 0, where: '' };
    compare('logits', { shape: logits.shape, data: logits.dataSync() }, reference.logits, worst);
    logits.dispose();
    expect(worst.error, `worst at ${worst.where}`).toBeLessThan(TOLERANCE);
  });
});
