/**
 * The claims made for the models shipped in packages/core/models/ (see each model's
 * TRAINING.md), checked against the committed files with plain code over cached activations.
 * Run with `pnpm exec vitest run test/models.test.ts`; the figures are printed as well.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, seededRandom } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { activationPatching, headScores } from '@hooklens/hooks';
import {
  heldOutIoiPrompts, IOI_HELD_OUT_SEED, ioiMetrics, ioiPromptIds, ioiVocabulary, repeatedHalfLoss, repeatedTokens,
} from '@hooklens/core/train';

const MODELS = fileURLToPath(new URL('../packages/core/models/', import.meta.url));

/** The heads TRAINING.md names: the previous-token head in layer 0, the one induction head in layer 1. */
const PREVIOUS_TOKEN_HEAD = { layer: 0, head: 0 };
const INDUCTION_HEAD = { layer: 1, head: 0 };

/** Mean attention per head [layer][head] to key (query − offset) over the given query positions. */
function diagonalScores(model: HookedTransformer, tokens: number[][], queries: number[], offset: number): number[][] {
  const { logits, cache } = model.runWithCache(tokens, { names: /hook_pattern$/ });
  try {
    return Array.from({ length: model.config.nLayers }, (_, layer) => {
      const pattern = cache.get(`blocks.${layer}.attn.hook_pattern`).arraySync() as number[][][][]; // [batch, head, q, k]
      return Array.from({ length: model.config.nHeads }, (_, head) => {
        let sum = 0;
        for (const row of pattern) for (const q of queries) sum += row[head][q][q - offset];
        return sum / (pattern.length * queries.length);
      });
    });
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

/** Zero-ablates the heads' outputs (their slices of hook_z) while `body` runs. */
function withHeadsAblated<T>(model: HookedTransformer, heads: readonly { layer: number; head: number }[], body: () => T): T {
  const layers = [...new Set(heads.map((h) => h.layer))];
  return model.withHooks(layers.map((layer) => [`blocks.${layer}.attn.hook_z`, (z: tf.Tensor) => {
    const mask = Array.from({ length: model.config.nHeads }, (_, head) => (heads.some((h) => h.layer === layer && h.head === head) ? 0 : 1));
    return z.mul(tf.tensor4d(mask, [1, 1, model.config.nHeads, 1]));
  }] as const), body);
}

describe('toy-induction (2-layer attention-only, one head per layer)', () => {
  let model: HookedTransformer;
  const half = 20;
  let tokens: number[][];
  beforeAll(async () => {
    model = await loadModel(`${MODELS}toy-induction`);
    tokens = repeatedTokens(seededRandom(12345), 64, half, model.config.dVocab);
  });
  afterAll(() => model?.dispose());

  it('loads with its tokenizer', () => {
    expect(model.config.attnOnly).toBe(true);
    expect(model.config.nLayers).toBe(2);
    expect(model.config.nHeads).toBe(1);
    expect(model.toStrTokens('t1 t2 t3')).toEqual(['<bos>', 't1', 't2', 't3']);
  });

  it(`has a sharp previous-token head in layer 0 (L${PREVIOUS_TOKEN_HEAD.layer}H${PREVIOUS_TOKEN_HEAD.head})`, () => {
    const queries = Array.from({ length: 2 * half - 1 }, (_, i) => i + 2);
    const [current, previous, twoBack] = [0, 1, 2].map((offset) => diagonalScores(model, tokens, queries, offset));
    const { layer, head } = PREVIOUS_TOKEN_HEAD;
    console.log('attention to the previous token', JSON.stringify(previous.map((l) => l.map((s) => +s.toFixed(3)))),
      `| L${layer}H${head} to the current token ${current[layer][head].toFixed(3)}, two back ${twoBack[layer][head].toFixed(3)}`);
    expect(previous[layer][head]).toBeGreaterThan(0.9);
    expect(twoBack[layer][head]).toBeLessThan(0.05);
    expect(current[layer][head]).toBeLessThan(0.05);
  });

  it('its previous-token head works only over the first 41 positions (learned positions past them are not)', () => {
    // BOS + 40 + 40 fills the context: the head is sharp up to position 40 and lost from 43 on
    // (TRAINING.md: why the probes are BOS + 20 + 20).
    const long = repeatedTokens(seededRandom(12345), 16, 40, model.config.dVocab);
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const { layer, head } = PREVIOUS_TOKEN_HEAD;
    const early = diagonalScores(model, long, range(2, 40), 1)[layer][head];
    const late = diagonalScores(model, long, range(43, 80), 1)[layer][head];
    console.log(`L${layer}H${head} to the previous token on BOS + 40 + 40: positions 2…40 ${early.toFixed(3)}, 43…80 ${late.toFixed(3)}`);
    expect(early).toBeGreaterThan(0.9);
    expect(late).toBeLessThan(0.1);
  });

  it(`has one induction head, L${INDUCTION_HEAD.layer}H${INDUCTION_HEAD.head}, scoring > 0.5, and none in layer 0`, () => {
    // From position i of the second copy to i − half + 1: the token after the earlier occurrence.
    const queries = Array.from({ length: half }, (_, i) => half + 1 + i);
    const scores = diagonalScores(model, tokens, queries, half - 1);
    console.log('induction scores', JSON.stringify(scores.map((l) => l.map((s) => +s.toFixed(3)))));
    expect(scores[INDUCTION_HEAD.layer][INDUCTION_HEAD.head]).toBeGreaterThan(0.5);
    for (const score of scores[0]) expect(score).toBeLessThan(0.1);
  });

  it("agrees with @hooklens/hooks' headScores", async () => {
    const scores = await headScores(model, { seqLen: 20, batch: 16, seed: 5 });
    expect(scores.previousToken[PREVIOUS_TOKEN_HEAD.layer][PREVIOUS_TOKEN_HEAD.head]).toBeGreaterThan(0.9);
    expect(scores.induction[INDUCTION_HEAD.layer][INDUCTION_HEAD.head]).toBeGreaterThan(0.5);
  });

  it('zero-ablating the induction head alone, or the previous-token head it reads, destroys in-context copying', () => {
    const loss = (heads: { layer: number; head: number }[]) => withHeadsAblated(model, heads, () => repeatedHalfLoss(model, tokens, half));
    const clean = loss([]);
    const chance = Math.log(model.config.dVocab - 4); // uniform over the 60 random tokens
    const induction = loss([INDUCTION_HEAD]);
    const previousToken = loss([PREVIOUS_TOKEN_HEAD]);
    console.log(`repeated-half loss: clean ${clean.toFixed(3)}, chance ${chance.toFixed(3)}; `
      + `induction head ablated ${induction.toFixed(3)}; previous-token head ablated ${previousToken.toFixed(3)}`);
    expect(clean).toBeLessThan(0.1 * chance);
    // No other head backs it up: this one head's output is the copying, and without it the
    // model is worse than guessing (it still predicts confidently, now wrongly).
    expect(induction - clean).toBeGreaterThan(0.9 * chance);
    expect(induction).toBeGreaterThan(chance);
    // Without the previous-token output the induction head's keys cannot find the earlier copy: about chance.
    expect(previousToken).toBeGreaterThan(0.9 * chance);
  });
});

describe('toy-ioi', () => {
  let model: HookedTransformer;
  beforeAll(async () => {
    model = await loadModel(`${MODELS}toy-ioi`);
  });
  afterAll(() => model?.dispose());

  it('reads IOI prompts with its word-level tokenizer', () => {
    const text = 'When Mary and John went to the store , John gave a drink to';
    const vocab = ioiVocabulary();
    expect(model.toTokens(text)).toEqual(ioiPromptIds({ text, io: 'Mary', subject: 'John', template: 0 }));
    expect(model.toStrTokens('John gave a drink to Mary').slice(1)).toEqual(['John', 'gave', 'a', 'drink', 'to', 'Mary']);
    expect(vocab.size).toBe(model.config.dVocab);
  });

  it('answers held-out prompts with the indirect object > 90% of the time, mean logit difference > 2', () => {
    const metrics = ioiMetrics(model, heldOutIoiPrompts(512, IOI_HELD_OUT_SEED));
    console.log('IOI held-out', JSON.stringify(metrics));
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(metrics.topAccuracy).toBeGreaterThan(0.9); // the indirect object is the top token, not just above the subject
    expect(metrics.logitDiff).toBeGreaterThan(2);
  });

  it('activation patching: the repeated name moves from its second mention to the final position in layer 0, through L0H3', async () => {
    // Template 0 with BOS: "<bos> When A and B went to the PLACE , S gave a OBJECT to": S2 at 10, the end at 14.
    const S2 = 10;
    const END = 14;
    const prompts = heldOutIoiPrompts(256, IOI_HELD_OUT_SEED).filter((prompt) => prompt.template === 0).slice(0, 8);
    expect(prompts).toHaveLength(8);
    const mean = (grids: number[][][]) => grids[0].map((row, i) => row.map((_, j) => grids.reduce((sum, grid) => sum + grid[i][j], 0) / grids.length));
    const resid: number[][][] = [];
    const heads: number[][][] = [];
    for (const prompt of prompts) {
      const clean = ioiPromptIds(prompt);
      // Corrupted: the second mention of the subject becomes the indirect object, which flips the answer.
      const corrupted = clean.map((id, position) => (position === S2 ? model.toTokens(prompt.io, { prependBos: false })[0] : id));
      expect(model.toStrTokens(clean)[S2]).toBe(prompt.subject);
      const answer = model.toTokens(prompt.io, { prependBos: false })[0];
      const wrong = model.toTokens(prompt.subject, { prependBos: false })[0];
      resid.push((await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong })).values);
      heads.push((await activationPatching(model, clean, corrupted, { kind: 'z', answer, wrong })).values);
    }
    const residMean = mean(resid); // [layer][position]
    const headMean = mean(heads); // [layer][head]
    console.log('toy-ioi patching: resid_pre at S2 by layer', residMean.map((row) => row[S2].toFixed(2)).join(' '),
      '| at the end', residMean.map((row) => row[END].toFixed(2)).join(' '), '| z', JSON.stringify(headMean.map((row) => row.map((v) => +v.toFixed(2)))));
    // Before layer 0 the information sits at S2 only; from layer 1 on, at the end only.
    expect(residMean[0][S2]).toBeGreaterThan(0.9);
    expect(residMean[0][END]).toBeLessThan(0.1);
    for (let layer = 1; layer < model.config.nLayers; layer++) {
      expect(residMean[layer][S2]).toBeLessThan(0.1);
      expect(residMean[layer][END]).toBeGreaterThan(0.9);
    }
    // One head moves it: L0H3 restores the clean behaviour; no other head matters much.
    headMean.forEach((row, layer) => row.forEach((value, head) => {
      if (layer === 0 && head === 3) expect(value).toBeGreaterThan(0.8);
      else expect(Math.abs(value)).toBeLessThan(0.2);
    }));
  });
});
