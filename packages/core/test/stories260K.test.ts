/**
 * Generation on the real llama2.c stories260K checkpoint (test/fixtures/testModels.ts; CI has it): greedy
 * text is the same with the key/value cache as by re-running the whole sequence, reads as
 * TinyStories, and sampling stops where llama2.c's run.c stops (at BOS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '../src/index.ts';
import type { HookedTransformer } from '../src/index.ts';
import { TEST_MODELS } from '../../../test/fixtures/testModels.ts';
import { greedyByRerunning } from './greedyByRerunning.ts';

const STORIES = TEST_MODELS.stories260K;

const BOS = 1;


describe.skipIf(!STORIES)('stories260K generation', () => {
  let model: HookedTransformer;
  /** The same checkpoint on the tfjs engine: re-running the whole sequence per token there is the reference (one eager forward per length, where onnx would build a graph for each). */
  let reference: HookedTransformer;
  beforeAll(async () => {
    await initBackend();
    model = await loadModel(STORIES!.bin);
    reference = await loadModel(STORIES!.bin, { engine: 'tfjs' });
  });
  afterAll(() => {
    model?.dispose();
    reference?.dispose();
  });

  it('greedy 200 tokens from BOS: identical with the key/value cache and by re-running, and TinyStories text', async () => {
    expect(model.tokenizer?.source).toMatch(/tok512\.bin$/);
    const before = tf.memory().numTensors;
    const cached = await model.generate('', { maxNewTokens: 200, stopAtEos: false });
    expect(cached.newTokens).toHaveLength(200);
    expect(cached.tokens[0]).toBe(BOS);
    const rerun = await greedyByRerunning(reference, [BOS], 200);
    expect(cached.tokens).toEqual(rerun);
    expect(tf.memory().numTensors).toBe(before);

    const text = cached.text;
    console.log(`stories260K greedy from BOS: ${JSON.stringify(text)}`);
    expect(text.startsWith('Once upon a time')).toBe(true);
    expect(text).toMatch(/ named [A-Z][a-z]+/);
    for (const word of [' the ', ' was ', ' she ']) expect(text.toLowerCase()).toContain(word);
    expect(model.toString(rerun)).toBe(text); // the whole sequence decoded, BOS dropped
  });

  it('stops a sampled story at BOS, as llama2.c run.c does, and reports it', async () => {
    const options = { temperature: 1, seed: 10 };
    // Without stopping, this seed's story ends with BOS and a new one begins after it.
    const unstopped = await model.generate('', { ...options, maxNewTokens: 300, stopAtEos: false });
    const end = unstopped.newTokens.indexOf(BOS);
    expect(end).toBeGreaterThan(100);
    expect(end).toBeLessThan(unstopped.newTokens.length - 10);

    const stopped = await model.generate('', { ...options, maxNewTokens: 300 });
    expect(stopped.stopReason).toBe('stop-token');
    expect(stopped.newTokens).toEqual(unstopped.newTokens.slice(0, end + 1));
    // The text is the story up to BOS; the unstopped one runs on into the next story.
    expect(stopped.text.trimEnd()).toMatch(/[.!?"]$/);
    expect(unstopped.text.startsWith(stopped.text)).toBe(true);
    expect(unstopped.text.length).toBeGreaterThan(stopped.text.length + 20);
    expect(unstopped.stopReason).toBe('max-new-tokens');
  });
});
