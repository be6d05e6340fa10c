import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { randomModel } from '@hooklens/core/testing';
import {
  ablate, ablationSweep, activationPatching, ExperimentError, headScores, logitLens, parseExperiment, parseExperimentText,
  patchEveryBlock, resolveExperimentModel, runExperiment,
} from '../src/index.ts';
import type { AblationResult, ExperimentInput, MetricSweepResult } from '../src/index.ts';
// The browser entry point: the schema alone, no Node or tfjs code.
import { Experiment as ExperimentSchema } from '@hooklens/hooks/experiment-schema';
import { TEST_MODELS } from '../../../test/fixtures/testModels.ts';

const STORIES = TEST_MODELS.stories260K?.bin ?? '';
const base = { hooklens: 1, model: { id: 'tiny' }, tokenization: { prependBos: false, paddingSide: 'right' } } as const;

beforeAll(async () => { await initBackend(); });

describe('experiment schema', () => {
  const valid: ExperimentInput[] = [
    { ...base, kind: 'lens', prompts: { prompt: 'Once upon a time' }, topK: 3, target: '#5' },
    { ...base, kind: 'ablation', prompts: { prompts: [[1, 2, 3]] }, heads: [{ layer: 0, head: 1 }], mode: 'mean' },
    { ...base, kind: 'ablation-sweep', prompts: { prompts: ['a b', 'c d'], reference: ['e f'] }, metric: { type: 'logit-diff', answer: 3, wrong: ' Tom', position: -2 } },
    { ...base, kind: 'patching', prompts: { clean: [1, 2], corrupted: [1, 3] }, patch: { kind: 'every-block' }, metric: { type: 'logit-diff', answer: '#1', wrong: '#2' } },
    { ...base, kind: 'head-scores', prompts: { repeatedRandomTokens: { seqLen: 5 } }, seed: 3 },
  ];

  it('accepts every kind and fills defaults', () => {
    for (const experiment of valid) expect(parseExperiment(experiment).kind).toBe(experiment.kind);
    const ablation = parseExperiment(valid[2]);
    expect(ablation.kind === 'ablation-sweep' && ablation.mode).toBe('zero');
    const noPadding = parseExperiment({ ...valid[0], tokenization: { prependBos: true } });
    expect(noPadding.tokenization).toEqual({ prependBos: true, paddingSide: 'right' });
    // The subpath export is the same schema.
    expect(ExperimentSchema.safeParse(valid[3]).success).toBe(true);
  });

  it('round-trips through JSON unchanged', () => {
    for (const experiment of valid) {
      const parsed = parseExperiment(experiment);
      expect(parseExperimentText(JSON.stringify(parsed))).toEqual(parsed);
    }
  });

  const lens = valid[0];
  const bad: [string, unknown, string][] = [
    ['not JSON', undefined, 'e.json: not valid JSON ('],
    ['unknown kind', { ...lens, kind: 'probe' }, 'e.json: experiment.kind: expected one of lens, ablation, ablation-sweep, patching, head-scores'],
    ['unknown field', { ...lens, prompts: { prompt: 'x', promt: 'y' } }, 'e.json: experiment.prompts: unknown field "promt"'],
    ['wrong type', { ...valid[3], prompts: { clean: 7, corrupted: [1] } }, 'e.json: experiment.prompts.clean: expected non-empty text or a non-empty array of token ids'],
    ['wrong number type', { ...lens, topK: 'three' }, 'e.json: experiment.topK: expected number, received string'],
    ['missing model', { ...lens, model: undefined }, 'e.json: experiment.model: missing (expected object)'],
    ['empty model id', { ...lens, model: { id: '' } }, 'e.json: experiment.model.id:'],
    ['bad array entry', { ...valid[1], heads: [{ layer: 0, head: -1 }] }, 'e.json: experiment.heads[0].head:'],
    ['version', { ...lens, hooklens: 2 }, 'e.json: experiment.hooklens: expected 1'],
    ['not an object', [lens], 'e.json: experiment: expected object, received array'],
    ['nothing to ablate', { ...valid[1], heads: [] }, 'e.json: experiment.heads: nothing to ablate'],
    ['position twice', { ...valid[2], position: 1 }, 'e.json: experiment.position: give the position once'],
  ];
  it.each(bad)('%s: one line naming the file and the JSON path', (_, value, message) => {
    const text = value === undefined ? '{"hooklens": 1,' : JSON.stringify(value);
    let error: unknown;
    try { parseExperimentText(text, 'e.json'); } catch (caught) { error = caught; }
    expect(error).toBeInstanceOf(ExperimentError);
    expect((error as Error).message.startsWith(message), (error as Error).message).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('runExperiment on a random model (token-id prompts)', () => {
  let model: HookedTransformer;
  beforeAll(() => { model = randomModel({ nLayers: 3, nCtx: 32 }, 7); });
  afterAll(() => model.dispose());
  const prompt = [3, 7, 2, 9, 4, 11, 6];
  const corrupted = [3, 7, 5, 9, 4, 11, 6];
  const metric = { type: 'logit-diff', answer: 4, wrong: '#9' } as const;

  // Each kind against the tool called directly with the same settings.
  const cases: [string, ExperimentInput, () => Promise<unknown>][] = [
    ['lens', { ...base, kind: 'lens', prompts: { prompt }, topK: 2, target: 5 }, async () => logitLens(model, prompt, { topK: 2, target: 5 })],
    ['ablation', { ...base, kind: 'ablation', prompts: { prompts: [prompt, corrupted] }, heads: [{ layer: 1, head: 2 }], mlps: [0], mode: 'mean', metric: { ...metric, position: -2 } },
      () => ablate(model, [prompt, corrupted], { heads: [{ layer: 1, head: 2 }], mlps: [0], mode: 'mean', answer: 4, wrong: 9, position: -2 })],
    ['ablation-sweep', { ...base, kind: 'ablation-sweep', prompts: { prompts: [prompt, corrupted] }, mode: 'resample', seed: 2, batchSize: 3, metric },
      () => ablationSweep(model, [prompt, corrupted], { mode: 'resample', seed: 2, batchSize: 3, answer: 4, wrong: 9 })],
    ['patching', { ...base, kind: 'patching', prompts: { clean: prompt, corrupted }, patch: { kind: 'z_by_pos', layers: [1, 2], heads: [0, 3] }, metric },
      () => activationPatching(model, prompt, corrupted, { kind: 'z_by_pos', layers: [1, 2], heads: [0, 3], answer: 4, wrong: 9 })],
    ['patching every-block', { ...base, kind: 'patching', prompts: { clean: prompt, corrupted }, patch: { kind: 'every-block' }, metric: { ...metric, position: 5 } },
      () => patchEveryBlock(model, prompt, corrupted, { answer: 4, wrong: 9, metricPosition: 5 })],
    ['head-scores', { ...base, kind: 'head-scores', prompts: { repeatedRandomTokens: { seqLen: 6, batch: 3 } }, seed: 4 },
      () => headScores(model, { seqLen: 6, batch: 3, seed: 4, prependBos: false })],
  ];
  it.each(cases)('%s: the same result as the tool, nothing leaked', async (_, experiment, direct) => {
    const expected = await direct();
    const before = tf.memory().numTensors;
    const run = await runExperiment(model, experiment);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.experiment).toEqual(parseExperiment(experiment));
    expect(run.result).toEqual(expected);
  });

  it('reports sweep progress and honours cancellation', async () => {
    const experiment: ExperimentInput = { ...base, kind: 'ablation-sweep', prompts: { prompts: [prompt] }, batchSize: 1 };
    const seen: number[] = [];
    await runExperiment(model, experiment, { onProgress: (done, total) => { seen.push(done); expect(total).toBe(12); } });
    expect(seen.at(-1)).toBe(12);
    const controller = new AbortController();
    controller.abort();
    const before = tf.memory().numTensors;
    await expect(runExperiment(model, experiment, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects text prompts without a tokenizer, ragged batches and bad tokens with the JSON path', async () => {
    await expect(runExperiment(model, { ...base, kind: 'lens', prompts: { prompt: 'hello' } })).rejects.toThrow('experiment.prompts.prompt: the model has no tokenizer');
    await expect(runExperiment(model, { ...base, kind: 'ablation', prompts: { prompts: [prompt, [1, 2]] }, heads: [{ layer: 0, head: 0 }] }))
      .rejects.toThrow('experiment.prompts.prompts: the prompts are 7, 2 tokens long');
    await expect(runExperiment(model, { ...base, kind: 'patching', prompts: { clean: prompt, corrupted }, patch: { kind: 'z' }, metric: { ...metric, wrong: 999 } }))
      .rejects.toThrow('experiment.metric.wrong id 999 is out of range');
    await expect(runExperiment(model, { ...base, kind: 'lens', prompts: { prompt }, extra: 1 } as unknown as ExperimentInput)).rejects.toThrow(ExperimentError);
  });
});

describe.skipIf(!STORIES)('runExperiment on stories260K (text prompts)', () => {
  let model: HookedTransformer;
  beforeAll(async () => { model = await loadModel(STORIES); });
  afterAll(() => model.dispose());

  it('encodes text under the experiment\'s BOS setting and resolves text tokens', async () => {
    const text = 'Lily and Tom went to the park. Tom gave the ball to';
    for (const prependBos of [true, false]) {
      const run = await runExperiment(model, {
        ...base, tokenization: { prependBos, paddingSide: 'left' }, model: { id: STORIES },
        kind: 'lens', prompts: { prompt: text }, target: ' Lily', topK: 2,
      });
      const tokens = model.toTokens(text, { prependBos });
      expect(tokens[0] === model.tokenizer!.bosTokenId).toBe(prependBos);
      const lily = model.toTokens('Lily', { prependBos: false });
      expect(lily).toHaveLength(1);
      expect(run.result).toEqual(logitLens(model, tokens, { topK: 2, target: lily[0] }));
    }
  });

  it.each(['left', 'right'] as const)('pads text prompts of different lengths on the %s: each row reads as its prompt alone', async (paddingSide) => {
    const texts = ['Lily and Tom went to the park. Tom gave the ball to', 'Tom saw a big dog'];
    const tokenization = { prependBos: true, paddingSide };
    const lengths = texts.map((text) => model.toTokens(text, { prependBos: true }).length);
    expect(lengths[0]).toBeGreaterThan(lengths[1]);
    const metric = { type: 'logit-diff', answer: ' Lily', wrong: ' the' } as const;
    const ablation = (prompts: string[]): ExperimentInput => ({
      ...base, model: { id: STORIES }, tokenization, kind: 'ablation', prompts: { prompts }, heads: [{ layer: 1, head: 2 }, { layer: 3, head: 0 }], metric,
    });
    const batch = (await runExperiment(model, ablation(texts))).result as AblationResult;
    const alone = await Promise.all(texts.map(async (text) => (await runExperiment(model, ablation([text]))).result as AblationResult));
    expect(batch.rowPositions).toEqual(paddingSide === 'left' ? [lengths[0] - 1, lengths[0] - 1] : [lengths[0] - 1, lengths[1] - 1]);
    batch.predictions.forEach((row, r) => {
      expect(row.clean.map((p) => p.text)).toEqual(alone[r].predictions[0].clean.map((p) => p.text));
      expect(row.ablated.map((p) => p.token)).toEqual(alone[r].predictions[0].ablated.map((p) => p.token));
      row.ablated.forEach((p, k) => expect(Math.abs(p.probability - alone[r].predictions[0].ablated[k].probability)).toBeLessThan(1e-5));
    });
    // The loss is pooled over every real next-token pair, the metric averaged over rows.
    const pairs = lengths.map((length) => length - 1);
    const pooled = (values: number[]) => (values[0] * pairs[0] + values[1] * pairs[1]) / (pairs[0] + pairs[1]);
    expect(Math.abs(batch.lossAblated - pooled(alone.map((a) => a.lossAblated)))).toBeLessThan(1e-4);
    expect(Math.abs(batch.metricAblated! - (alone[0].metricAblated! + alone[1].metricAblated!) / 2)).toBeLessThan(1e-4);

    const sweep = (prompts: string[]): ExperimentInput => ({ ...base, model: { id: STORIES }, tokenization, kind: 'ablation-sweep', prompts: { prompts }, metric, loss: false, layers: [2] });
    const batchSweep = (await runExperiment(model, sweep(texts))).result as MetricSweepResult;
    const aloneSweeps = await Promise.all(texts.map(async (text) => (await runExperiment(model, sweep([text]))).result as MetricSweepResult));
    batchSweep.metricDelta[2].forEach((value, head) => expect(Math.abs(value - (aloneSweeps[0].metricDelta[2][head] + aloneSweeps[1].metricDelta[2][head]) / 2)).toBeLessThan(1e-4));
  });

  it('pads only text: token-id prompts of different lengths are an error', async () => {
    await expect(runExperiment(model, { ...base, model: { id: STORIES }, kind: 'ablation', prompts: { prompts: ['Tom saw a big dog', [1, 2]] }, heads: [{ layer: 0, head: 0 }] }))
      .rejects.toThrow(/^experiment\.prompts\.prompts: the prompts are \d+, 2 tokens long; only text prompts are padded \(tokenization\.paddingSide\), token-id prompts must have equal lengths$/);
  });

  it('head scores follow tokenization.prependBos', async () => {
    const run = await runExperiment(model, { ...base, model: { id: STORIES }, tokenization: { prependBos: true }, kind: 'head-scores', prompts: { repeatedRandomTokens: { seqLen: 10, batch: 2 } } });
    expect(run.result).toEqual(await headScores(model, { seqLen: 10, batch: 2, prependBos: true }));
  });

  it('resolves a relative model path from the working directory, then from the experiment\'s folder', () => {
    const fromCwd = relative(process.cwd(), STORIES);
    expect(resolveExperimentModel({ id: fromCwd }).path).toBe(fromCwd);
    const folder = dirname(dirname(STORIES)); // …/models
    const inside = 'stories260K/stories260K.bin';
    expect(existsSync(inside)).toBe(false);
    expect(resolveExperimentModel({ id: inside, tokenizer: 'stories260K/tok512.bin' }, { baseDir: folder }))
      .toEqual({ path: `${folder}/${inside}`, tokenizer: `${folder}/stories260K/tok512.bin` });
  });
});
