/**
 * The worked example each model opens on: for the shipped toy models, checked against the model
 * itself (its prediction at the last position is the answer, and no word became an unknown token).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel, type HookedTransformer } from '@hooklens/core';
import { SHIPPED_MODELS_DIR } from '@hooklens/core/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGpt2 } from '../../../../test/fixtures/checkpoints.ts';
import { workedExample } from '../../src/server/workedExample.ts';

/** The id the model ranks first after `prompt` (text, or token ids "12 7 301"). */
function topNext(model: HookedTransformer, prompt: string): number {
  const ids = model.tokenizer ? model.toTokens(prompt) : [model.config.bosTokenId ?? 0, ...prompt.split(' ').map(Number)];
  return tf.tidy(() => {
    const logits = model.forward([ids]);
    return logits.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1]).argMax().dataSync()[0];
  });
}

describe('worked examples', () => {
  const models: Record<string, HookedTransformer> = {};
  let dir = '';
  beforeAll(async () => {
    await initBackend('cpu');
    for (const name of ['toy-ioi', 'toy-induction']) models[name] = await loadModel(join(SHIPPED_MODELS_DIR, name));
    dir = mkdtempSync(join(tmpdir(), 'hooklens-example-'));
    writeTinyGpt2(join(dir, 'tiny-ids'), { seed: 2 });
    models['tiny-ids'] = await loadModel(join(dir, 'tiny-ids'));
  });
  afterAll(() => {
    for (const model of Object.values(models)) model.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('toy-ioi: the word-level indirect-object sentence, which the model completes with the answer', () => {
    const model = models['toy-ioi'];
    const start = tf.memory().numTensors;
    const example = workedExample(model)!;
    expect(example).toMatchObject({
      prompt: 'When Mary and John went to the store , John gave a drink to',
      corrupted: 'When Mary and John went to the store , Mary gave a drink to',
      answer: 'Mary',
      wrong: 'John',
    });
    expect(model.toStrTokens(example.prompt)).not.toContain('<unk>');
    expect(model.toSingleStrToken(topNext(model, example.prompt))).toBe('Mary');
    expect(model.toSingleStrToken(topNext(model, example.corrupted))).toBe('John');
    expect(tf.memory().numTensors).toBe(start);
  });

  it('toy-induction: 20 random tokens and the same again, whose next token the model copies', () => {
    const model = models['toy-induction'];
    const example = workedExample(model)!;
    const tokens = model.toStrTokens(example.prompt);
    // BOS, 20 tokens, the first 19 of them again.
    expect(tokens).toHaveLength(40);
    expect(tokens.slice(21)).toEqual(tokens.slice(1, 20));
    expect(new Set(tokens.slice(1, 21)).size).toBe(20);
    expect(tokens.every((t) => /^(<bos>|t\d+)$/.test(t))).toBe(true);
    expect(example.answer).toBe(tokens[20]);
    expect(example.wrong).toBe(tokens[1]);
    expect(model.toSingleStrToken(topNext(model, example.prompt))).toBe(example.answer);
    // The corrupted prompt starts with other tokens and has the same length.
    const corrupted = model.toStrTokens(example.corrupted);
    expect(corrupted).toHaveLength(40);
    expect(corrupted.slice(1, 21).some((t) => tokens.slice(1, 21).includes(t))).toBe(false);
  });

  it('a model without a tokenizer: the induction example in token ids, shortened to fit its context', () => {
    const example = workedExample(models['tiny-ids'])!;
    const ids = example.prompt.split(' ').map(Number);
    // n_ctx 32: BOS, 16 tokens, the first 15 again.
    expect(ids).toHaveLength(31);
    expect(ids.slice(16)).toEqual(ids.slice(0, 15));
    expect(new Set(ids).size).toBe(16);
    expect(example.answer).toBe(`#${ids[15]}`);
    expect(ids.every((id) => id >= 0 && id < 97)).toBe(true);
  });
});
