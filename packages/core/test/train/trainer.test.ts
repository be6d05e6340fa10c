import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '../../src/index.ts';
import { inductionTask, saveTrainedModel, textTask, trainModel } from '../../src/train/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'hooklens-train-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Retraining the shipped models' recipes (loss well below chance) is in retrainShipped.test.ts.
describe('trainModel', () => {
  it('frees every tensor a step allocates, and is reproducible by seed', async () => {
    const task = inductionTask({ randomTokens: 10, contextLength: 13, heldOutRows: 8 });
    const counts: number[] = [];
    const losses: number[] = [];
    const run = () => trainModel({
      task, shape: { nLayers: 1, dModel: 16, nHeads: 2 }, steps: 6, batchSize: 4, lr: 1e-3, seed: 3, evalEvery: 2,
      onProgress: (p) => { counts.push(tf.memory().numTensors); losses.push(p.loss); },
    });
    const before = tf.memory().numTensors;
    const first = await run();
    expect(new Set(counts).size).toBe(1);
    expect(first.evals.map((e) => e.step)).toEqual([2, 4, 6]);
    first.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const firstLosses = losses.splice(0);
    const second = await run();
    expect(losses).toEqual(firstLosses);
    second.model.dispose();
  });

  it('stops with an AbortError when cancelled, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = trainModel({
      task: inductionTask({ randomTokens: 10, contextLength: 13, heldOutRows: 8 }), shape: { nLayers: 1, dModel: 16, nHeads: 2 },
      steps: 1000, batchSize: 2, lr: 1e-3, seed: 1, signal: controller.signal,
      onProgress: (p) => { if (p.step === 3) controller.abort(); },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learns a character-level text, and the checkpoint loads back with its tokenizer', async () => {
    const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);
    const task = textTask(text, 'memory', { contextLength: 25 });
    const { model, finalEval } = await trainModel({
      task, shape: { nLayers: 1, dModel: 32, nHeads: 2, dMlp: 64 }, steps: 120, batchSize: 16, lr: 5e-3, seed: 2,
    });
    expect(finalEval.loss).toBeLessThan(0.4 * Math.log(task.vocabulary.size));

    const out = join(dir, 'chars');
    saveTrainedModel(out, model, task.vocabulary, { note: 'first' });
    saveTrainedModel(out, model, task.vocabulary, { note: 'second' }); // replaces the first whole
    expect(readdirSync(dir)).toEqual(['chars']); // no staging or old directory left beside it
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'training.json']);
    expect(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).note).toBe('second');

    // On the trained model's engine, so the logits must match bit for bit.
    const loaded = await loadModel(out, { engine: 'tfjs' });
    expect(loaded.tokenizer).toBeDefined();
    expect(loaded.toString(loaded.toTokens('the cat', { prependBos: false }))).toBe('the cat');
    expect(loaded.toTokens('the')[0]).toBe(0); // BOS prepended by default
    const ids = loaded.toTokens('the cat sat on the');
    const [a, b] = tf.tidy(() => [model.forward(ids).arraySync(), loaded.forward(ids).arraySync()]);
    expect(b).toEqual(a);
    loaded.dispose();
    model.dispose();
    expect(existsSync(join(dir, 'chars'))).toBe(true);
  });

  it('a failed save leaves no directory behind', () => {
    const task = textTask('abcdefghij'.repeat(30), 'memory', { contextLength: 9 });
    const model = { config: {}, exportWeights: () => new Map() } as never; // a config the checkpoint writer rejects
    const out = join(dir, 'broken');
    expect(() => saveTrainedModel(out, model, task.vocabulary, {})).toThrow(/broken: cannot write the trained model/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('broken'))).toEqual([]);
  });
});
