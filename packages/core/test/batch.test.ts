/**
 * Batches of texts of unequal length (toTokensBatch, paddingSide) and returnType 'both',
 * on small random models with a word tokenizer written here; losses are recomputed in
 * plain JS from the logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, initBackend } from '../src/index.ts';
import type { ModelConfig, Tokenizer } from '../src/index.ts';
import { randomWeights, tinyConfig } from './randomModel.ts';

beforeAll(async () => { await initBackend(); });

const BOS = 0;
const PAD = 2;
const WORDS = ['<bos>', '<eos>', '<pad>', 'a', 'b', 'c', 'd', 'e'];

/** One token per space-separated word; enough to drive the model's text API. */
const wordTokenizer: Tokenizer = {
  source: 'test words', vocabSize: WORDS.length, bosTokenId: BOS, eosTokenId: 1, padTokenId: PAD, unkTokenId: undefined,
  encode: (text) => text.split(' ').filter(Boolean).map((word) => WORDS.indexOf(word)),
  decode: (ids) => ids.filter((id) => id > 2).map((id) => WORDS[id]).join(' '),
  tokenToString: (id) => WORDS[id],
};

function modelWith(overrides: Partial<ModelConfig>): HookedTransformer {
  const config = tinyConfig({ defaultPrependBos: true, bosTokenId: BOS, ...overrides });
  return new HookedTransformer(config, randomWeights(config, 4), { tokenizer: wordTokenizer });
}

async function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const difference = tf.tidy(() => a.sub(b).abs().max());
  const value = (await difference.data())[0];
  difference.dispose();
  return value;
}

const texts = ['a b c d e', 'e c', 'd'];

describe.each([
  ['learned positions', {}],
  ['rotary (positions follow the real tokens)', { normType: 'rmsnorm', positional: 'rotary', gatedMlp: true, actFn: 'silu', nKvHeads: 2 }],
] as const)('toTokensBatch with %s', (_label, overrides) => {
  it('pads on the side asked for, and each row gives the logits of its text run alone', async () => {
    const model = modelWith(overrides);
    const before = tf.memory().numTensors;
    const right = model.toTokensBatch(texts);
    expect(right.tokens).toEqual([[BOS, 3, 4, 5, 6, 7], [BOS, 7, 5, PAD, PAD, PAD], [BOS, 6, PAD, PAD, PAD, PAD]]);
    expect(right.attentionMask).toEqual([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]]);
    const left = model.toTokensBatch(texts, { paddingSide: 'left' });
    expect(left.tokens).toEqual([[BOS, 3, 4, 5, 6, 7], [PAD, PAD, PAD, BOS, 7, 5], [PAD, PAD, PAD, PAD, BOS, 6]]);
    expect(left.attentionMask).toEqual([[1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1]]);
    expect(model.toTokensBatch(texts, { prependBos: false }).tokens[2]).toEqual([6, PAD, PAD, PAD, PAD]);

    const vocab = model.config.dVocab;
    for (const { tokens, attentionMask } of [right, left]) {
      const logits = model.forward(tokens, { attentionMask });
      for (const [row, text] of texts.entries()) {
        const alone = model.forward([model.toTokens(text)]);
        const length = alone.shape[1];
        const start = attentionMask[row].indexOf(1);
        const slice = logits.slice([row, start, 0], [1, length, vocab]);
        expect(await maxAbsDifference(slice, alone), `row ${row}`).toBeLessThan(1e-5);
        tf.dispose([alone, slice]);
      }
      logits.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

/** Mean next-token cross-entropy over pairs of real tokens, in float64 from the logits. */
function lossByHand(logits: number[][][], tokens: number[][], mask: number[][]): number {
  let total = 0;
  let count = 0;
  for (const [row, ids] of tokens.entries()) {
    for (let position = 0; position + 1 < ids.length; position++) {
      if (!mask[row][position] || !mask[row][position + 1]) continue;
      const values = logits[row][position];
      const max = Math.max(...values);
      const logSum = max + Math.log(values.reduce((sum, value) => sum + Math.exp(value - max), 0));
      total += logSum - values[ids[position + 1]];
      count++;
    }
  }
  return total / count;
}

describe("forward returnType 'both'", () => {
  it('returns the logits of a plain forward and the loss of a loss-only one, which is the padded-aware mean by hand', async () => {
    const model = modelWith({});
    const before = tf.memory().numTensors;
    const { tokens, attentionMask } = model.toTokensBatch(texts, { paddingSide: 'left' });
    const both = model.forward(tokens, { attentionMask, returnType: 'both' });
    const logits = model.forward(tokens, { attentionMask });
    const loss = model.forward(tokens, { attentionMask, returnType: 'loss' });
    expect(both.logits.shape).toEqual([3, 6, model.config.dVocab]);
    expect(both.loss.shape).toEqual([]);
    expect(await maxAbsDifference(both.logits, logits)).toBe(0);
    expect((await both.loss.data())[0]).toBeCloseTo((await loss.data())[0], 6);
    const expected = lossByHand(await logits.array() as number[][][], tokens, attentionMask);
    expect((await both.loss.data())[0]).toBeCloseTo(expected, 5);

    const perToken = model.forward(tokens, { attentionMask, returnType: 'both', perTokenLoss: true });
    expect(perToken.loss.shape).toEqual([3, 5]);
    expect(Array.from(await perToken.loss.data()).slice(5, 8)).toEqual([0, 0, 0]); // row 1: pad→pad, pad→pad, pad→BOS
    tf.dispose([both.logits, both.loss, logits, loss, perToken.logits, perToken.loss]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
