/**
 * Repeated random tokens (Olsson et al. 2022, "In-context learning and induction heads").
 * A training row is BOS then a random segment repeated: tokens of each copy can only be
 * predicted by finding the earlier occurrence of the current token and reading what came
 * next — an induction head. The segment length varies per row so no fixed positional offset
 * can stand in for induction.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '../../model.ts';
import { seededRandom } from '../../sampling.ts';
import { BOS_ID, SPECIAL_TOKENS, wordVocabulary } from '../vocabulary.ts';
import type { Vocabulary } from '../vocabulary.ts';
import { randomInt } from './task.ts';
import type { Batch, TrainingTask } from './task.ts';

export interface InductionOptions {
  /** Random (non-special) tokens to draw from (default 60). */
  randomTokens?: number;
  /** Row length including BOS (default 41). */
  contextLength?: number;
  /** Shortest repeated segment (default 4). */
  minSegment?: number;
  /** Seed of the held-out set (default 1_000_003). */
  heldOutSeed?: number;
  /** Rows in the held-out set (default 256). */
  heldOutRows?: number;
}

/** The vocabulary: t0 … t{n-1} after the special tokens. */
export function inductionVocabulary(randomTokens: number): Vocabulary {
  return wordVocabulary(Array.from({ length: randomTokens }, (_, i) => `t${i}`));
}

/**
 * One training row, `length` tokens: BOS, then a random segment repeated until the row is
 * full (the last copy cut short). Every token after the first copy is predictable by induction.
 */
export function inductionRow(random: () => number, length: number, minSegment: number, vocabSize: number): number[] {
  const maxSegment = Math.floor((length - 1) / 2);
  const segment = minSegment + randomInt(random, maxSegment - minSegment + 1);
  const draw = () => SPECIAL_TOKENS.length + randomInt(random, vocabSize - SPECIAL_TOKENS.length);
  const half = Array.from({ length: segment }, draw);
  return [BOS_ID, ...Array.from({ length: length - 1 }, (_, i) => half[i % segment])];
}

/**
 * The standard induction probe: BOS, `half` random tokens, the same tokens again; 2·half + 1
 * tokens. Position i of the second copy (i ≥ half + 1) should attend to i − half + 1.
 */
export function repeatedTokens(random: () => number, rows: number, half: number, vocabSize: number): number[][] {
  return Array.from({ length: rows }, () => {
    const first = Array.from({ length: half }, () => SPECIAL_TOKENS.length + randomInt(random, vocabSize - SPECIAL_TOKENS.length));
    return [BOS_ID, ...first, ...first];
  });
}

/**
 * Mean next-token loss on the repeated half of `repeatedTokens` rows: predictions made at
 * positions half+1 … 2·half − 1 (the copy's second token onwards), where induction can help.
 */
export function repeatedHalfLoss(model: HookedTransformer, tokens: number[][], half: number): number {
  return tf.tidy(() => {
    const perToken = model.forward(tokens, { returnType: 'loss', perTokenLoss: true }); // [batch, pos - 1]
    // Row index p of perToken predicts token p + 1; the copy's tokens 2…half sit at half+2 … 2·half.
    return perToken.slice([0, half + 1], [tokens.length, half - 1]).mean().dataSync()[0];
  });
}

export function inductionTask(options: InductionOptions = {}): TrainingTask {
  const randomTokens = options.randomTokens ?? 60;
  const contextLength = options.contextLength ?? 41;
  const minSegment = options.minSegment ?? 4;
  if (contextLength < 2 * minSegment + 1) throw new Error(`induction: context length ${contextLength} is too short for segments of ${minSegment}`);
  const vocabulary = inductionVocabulary(randomTokens);
  const heldOutRandom = seededRandom(options.heldOutSeed ?? 1_000_003);
  const half = Math.floor((contextLength - 1) / 2);
  const probe = repeatedTokens(heldOutRandom, options.heldOutRows ?? 256, half, vocabulary.size);
  return {
    name: 'induction',
    vocabulary,
    contextLength,
    trainBatch(random, batchSize): Batch {
      return { tokens: Array.from({ length: batchSize }, () => inductionRow(random, contextLength, minSegment, vocabulary.size)) };
    },
    heldOutBatches(batchSize) {
      const batches: Batch[] = [];
      for (let i = 0; i < probe.length; i += batchSize) batches.push({ tokens: probe.slice(i, i + batchSize) });
      return batches;
    },
    evaluate(model) {
      return { repeatedHalfLoss: repeatedHalfLoss(model, probe, half) };
    },
    // The copied half is predictable only among the random tokens, never the special ones.
    chanceLosses: { repeatedHalfChanceLoss: Math.log(randomTokens) },
  };
}
