import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { activationPatching } from '../../src/patching.ts';
import { canUseWorkers } from '../../src/sweep/patchWorkers.ts';
import { runWorkerPool } from '../../src/sweep/workerPool.ts';
import { resolveToken } from '../../src/tokens.ts';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';

describe.skipIf(!TEST_MODELS.stories260K)('patching on worker threads (stories260K)', () => {
  let model: HookedTransformer;
  beforeAll(async () => {
    await initBackend();
    // Workers add cores to the single-threaded tfjs backends only: this is about the tfjs engine.
    model = await loadModel(TEST_MODELS.stories260K!.bin, { engine: 'tfjs' });
  });
  const prompts = () => ({
    // 'Lily' and 'Tim' are single tokens in tok512 (the SentencePiece dummy prefix makes them ' Lily', ' Tim').
    clean: model.toTokens('When Lily and Tim went to the park, Tim gave a ball to'),
    corrupted: model.toTokens('When Lily and Tim went to the park, Lily gave a ball to'),
    answer: resolveToken(model, 'Lily', 'answer'),
    wrong: resolveToken(model, 'Tim', 'wrong'),
  });

  it('two workers give the same grid as this thread, with progress to the total', async () => {
    expect(canUseWorkers(model)).toBe(tf.getBackend() !== 'tensorflow');
    const onOnnx = await loadModel(TEST_MODELS.stories260K!.bin, { engine: 'onnx' });
    expect(canUseWorkers(onOnnx), 'ONNX Runtime already runs on every core').toBe(false);
    onOnnx.dispose();
    const { clean, corrupted, answer, wrong } = prompts();
    expect(clean.length).toBe(corrupted.length);
    const local = await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong });
    let last = 0;
    const before = tf.memory().numTensors;
    const pooled = await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, workers: 2, onProgress: (done, total) => { expect(total).toBe(clean.length * model.config.nLayers); last = done; } });
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBe(clean.length * model.config.nLayers);
    expect(pooled.rows).toEqual(local.rows);
    expect(pooled.cols).toEqual(local.cols);
    pooled.values.forEach((row, l) => row.forEach((value, p) => expect(value).toBeCloseTo(local.values[l][p], 5)));
  });

  it('cancelling terminates the workers with an AbortError', async () => {
    const { clean, corrupted, answer, wrong } = prompts();
    const controller = new AbortController();
    const run = activationPatching(model, clean, corrupted, { kind: 'z_by_pos', answer, wrong, workers: 2, batchSize: 4, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a worker error reaches the caller as a one-line error', async () => {
    const entry = new URL('../../src/sweep/patchWorker.ts', import.meta.url);
    await expect(runWorkerPool(entry, [{ source: '/nonexistent/model.bin', backend: tf.getBackend(), spec: { clean: [1], corrupted: [1], cells: [], batchSizes: [1], metricPosition: 0 }, answer: 0, wrong: 1 }]))
      .rejects.toThrow(/nonexistent/);
  });
});
