/**
 * Gemma 2 and Gemma 3 on both engines against the float64 reference written from
 * modeling_gemma2.py / modeling_gemma3.py, on tiny random checkpoints in Hugging Face's layout
 * whose sliding window (3) is shorter than the sequences, so local layers really mask: every
 * hook and the logits, padded rows against solo runs, cached greedy generation past the window;
 * and the loader's refusals.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadCheckpoint, loadModel, type HookedTransformer } from '@hooklens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../../packages/cli/test/inProcess.ts';
import { parseHubName } from '../../packages/core/src/hub/index.ts';
import type { RefTensor } from '../fixtures/checkpoints.ts';
import { writeTinyGemma, type GemmaFixture, type TinyGemmaOptions } from '../fixtures/gemmaCheckpoint.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import { gemmaForward } from '../reference/gemma64.ts';

const TOLERANCE = 1e-4;
const ENGINES = ['tfjs', 'onnx'] as const;
const LENGTH = 9;

interface GemmaCase {
  name: string;
  options: TinyGemmaOptions;
}

const CASES: GemmaCase[] = [
  { name: 'Gemma 2: GQA 4/2, tied, soft caps', options: { family: 'gemma2', seed: 1401 } },
  { name: 'Gemma 2: MHA, untied, BF16, sharded, layer_types, 3 layers', options: { family: 'gemma2', seed: 1402, nKvHeads: 4, tied: false, dtype: 'BF16', sharded: true, layerTypes: true, nLayers: 3 } },
  { name: 'Gemma 3: GQA 4/2, tied, 5 local : 1 global, q/k norms, two rope bases', options: { family: 'gemma3', seed: 1403 } },
  {
    name: 'Gemma 3: text half of Gemma3ForConditionalGeneration, MQA, BF16, layer_types, 7 layers, attention soft cap',
    options: { family: 'gemma3', seed: 1404, multimodal: true, nKvHeads: 1, dtype: 'BF16', layerTypes: true, nLayers: 7, configOverrides: { attn_logit_softcapping: 1.5 } },
  },
];

let scratch: string;
beforeAll(async () => {
  await initBackend();
  scratch = mkdtempSync(join(tmpdir(), 'hooklens-gemma-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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

describe.each(CASES.flatMap((c) => ENGINES.map((engine) => ({ ...c, engine }))))('$name ($engine)', (c) => {
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
    console.log(`${c.name} (${c.engine}): worst |model - reference| = ${worst.error.toExponential(2)} at ${worst.where}`);
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

  it('greedy generation past the window: the key/value cache equals re-running, and the reference', async () => {
    const prompt = tokens[0].slice(0, 4);
    const steps = 8;
    const before = tf.memory().numTensors;
    const cached = await model.generate(prompt, { maxNewTokens: steps, stopAtEos: false, prependBos: false });
    const rerun = [...prompt];
    const referenceRun = [...prompt];
    for (let step = 0; step < steps; step++) {
      const next = tf.tidy(() => model.forward([rerun], { unembedPositions: [rerun.length - 1] }).reshape([-1]).argMax());
      rerun.push(next.dataSync()[0]);
      next.dispose();
      const reference = gemmaForward(fixture, [referenceRun]).logits;
      referenceRun.push(argmax(reference.data, (referenceRun.length - 1) * vocab, vocab));
    }
    expect(cached.tokens).toEqual(rerun);
    expect(rerun).toEqual(referenceRun);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Gemma loader', () => {
  const write = (options: TinyGemmaOptions) => writeTinyGemma(mkdtempSync(join(scratch, 'config-')), options).dir;

  it('maps Gemma 2 config.json onto the config TransformerLens uses', () => {
    const { config, format, weights } = loadCheckpoint(write({ family: 'gemma2', seed: 1410, nLayers: 4 }));
    expect(format).toBe('huggingface-gemma2');
    expect(config).toMatchObject({
      family: 'gemma2', dModel: 16, dHead: 8, nHeads: 4, nKvHeads: 2, actFn: 'gelu_new', gatedMlp: true, sandwichNorms: true,
      embedScale: Math.fround(4), attnScale: Math.sqrt(6), attnScoresSoftCap: 1.5, outputLogitsSoftCap: 2.5,
      attnTypes: ['local', 'global', 'local', 'global'], windowSize: 3, tiedEmbeddings: true, rotaryBase: 10000,
    });
    expect(config.rotaryBaseLocal).toBeUndefined();
    // (1 + w) is added at load, as TransformerLens' conversion does.
    expect(weights.has('blocks.0.ln1_post.w') && weights.has('blocks.3.ln2_post.w')).toBe(true);
  });

  it.each([
    [{ num_key_value_heads: 3 }, /num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    [{ layer_types: ['sliding_attention'] }, /"layer_types" must be a list of 2 .*num_hidden_layers/],
    [{ sliding_window: undefined }, /missing required field "sliding_window"/],
    [{ attn_logit_softcapping: -1 }, /"attn_logit_softcapping" must be a positive number or null/],
    [{ final_logit_softcapping: 'big' }, /"final_logit_softcapping" must be a number/],
    [{ query_pre_attn_scalar: 0 }, /"query_pre_attn_scalar" must be a positive number/],
    [{ hidden_activation: 'gelu_fancy' }, /"hidden_activation" is "gelu_fancy"/],
    [{ attention_bias: true }, /attention_bias = true is not supported/],
    [{ rope_scaling: { rope_type: 'linear', factor: 8 } }, /"rope_scaling" .* is not supported/],
  ])('refuses Gemma 2 %j with an error naming the key', (overrides, message) => {
    expect(() => loadCheckpoint(write({ family: 'gemma2', seed: 1411, configOverrides: overrides }))).toThrow(message);
  });

  it('maps Gemma 3: 5 local : 1 global, rope_local_base_freq on local layers, per-head q/k norms', () => {
    const { config, format } = loadCheckpoint(write({ family: 'gemma3', seed: 1412, nLayers: 7 }));
    expect(format).toBe('huggingface-gemma3');
    expect(config).toMatchObject({
      family: 'gemma3', qkNorm: 'head', sandwichNorms: true, rotaryBase: 1_000_000, rotaryBaseLocal: 10000, windowSize: 3,
      attnTypes: ['local', 'local', 'local', 'local', 'local', 'global', 'local'],
    });
    expect(config.attnScoresSoftCap).toBeUndefined();
    expect(config.outputLogitsSoftCap).toBeUndefined();
    // transformers 5 writes the bases per layer type under rope_parameters.
    const v5 = loadCheckpoint(write({ family: 'gemma3', seed: 1413, configOverrides: {
      rope_theta: undefined, rope_local_base_freq: undefined, rope_scaling: undefined,
      rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 500000 }, sliding_attention: { rope_type: 'default', rope_theta: 5000 } },
    } })).config;
    expect(v5).toMatchObject({ rotaryBase: 500000, rotaryBaseLocal: 5000 });
  });

  it.each([
    [{ rope_scaling: { rope_type: 'linear', factor: 8 } }, /"rope_scaling" .* is not supported/],
    [{ rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_theta: 1e4 } } }, /"rope_parameters\.full_attention\.rope_type" is "linear"/],
    [{ layer_types: ['sliding_attention', 'sliding_attention', 'global', 'full_attention', 'full_attention', 'full_attention'] }, /"layer_types" must be a list of 6/],
    [{ use_bidirectional_attention: true }, /use_bidirectional_attention = true is not supported/],
  ])('refuses Gemma 3 %j with an error naming the key', (overrides, message) => {
    expect(() => loadCheckpoint(write({ family: 'gemma3', seed: 1414, configOverrides: overrides }))).toThrow(message);
  });

  it('refuses a multimodal Gemma 3 config without text_config, and a q_norm of the wrong width, naming them', () => {
    const dir = write({ family: 'gemma3', seed: 1415, multimodal: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3' }));
    expect(() => loadCheckpoint(dir)).toThrow(/needs a "text_config" object/);
    const wide = write({ family: 'gemma3', seed: 1416, configOverrides: { head_dim: 4 } });
    expect(() => loadCheckpoint(wide)).toThrow(/"model\.layers\.0\.self_attn\.q_proj\.weight" has shape \[32, 16\], expected \[16, 16\]/);
  });
});

describe('Gemma in the CLI and the hub names', () => {
  it('hooklens info names the family and its sliding-window layers', async () => {
    const dir = writeTinyGemma(mkdtempSync(join(scratch, 'info-')), { family: 'gemma2', seed: 1420, nLayers: 4 }).dir;
    const result = await runCliHere(['info', '--model', dir]);
    expect(result.code).toBe(0);
    const row = (key: string) => new RegExp(`^${key}\\s{2,}(.*)$`, 'm').exec(result.stdout)?.[1];
    expect(row('family')).toBe('gemma2 (Gemma 2)');
    expect(row('local attn')).toBe('sliding window 3 on 2 of 4 layers');
  });

  it('pull knows gemma-2-2b and gemma-3-270m', () => {
    expect(parseHubName('gemma-2-2b')).toEqual({ repo: 'google/gemma-2-2b' });
    expect(parseHubName('Gemma-3-270M')).toEqual({ repo: 'google/gemma-3-270m' });
  });
});
