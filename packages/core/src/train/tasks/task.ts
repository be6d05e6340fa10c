import type { HookedTransformer } from '../../model.ts';
import type { Vocabulary } from '../vocabulary.ts';

/** A batch of training or evaluation rows; rows of unequal length come right-padded with a mask. */
export interface Batch {
  tokens: number[][];
  /** 1 for real tokens, 0 for padding; absent when every row is full length. */
  attentionMask?: number[][];
}

/** What the trainer needs of a task: its vocabulary, its context length, and seeded batches. */
export interface TrainingTask {
  readonly name: string;
  readonly vocabulary: Vocabulary;
  /** Longest row the task produces (the model's nCtx). */
  readonly contextLength: number;
  /** A fresh training batch drawn with `random`. */
  trainBatch(random: () => number, batchSize: number): Batch;
  /** The fixed held-out evaluation set (drawn once, from the task's held-out seed). */
  heldOutBatches(batchSize: number): Batch[];
  /** Task-specific held-out figures (e.g. accuracy), computed without gradients. */
  evaluate?(model: HookedTransformer): Record<string, number>;
  /** The loss of a uniform guess for the loss-like figures `evaluate` reports, by the name training.json gives it. */
  readonly chanceLosses?: Record<string, number>;
}

/** A uniformly random integer in [0, n). */
export function randomInt(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Right-pads rows to the longest with `pad`, with the attention mask (none when all are equal). */
export function padRows(rows: readonly number[][], pad: number): Batch {
  const length = Math.max(...rows.map((row) => row.length));
  if (rows.every((row) => row.length === length)) return { tokens: rows.map((row) => [...row]) };
  return {
    tokens: rows.map((row) => [...row, ...new Array<number>(length - row.length).fill(pad)]),
    attentionMask: rows.map((row) => [...new Array<number>(row.length).fill(1), ...new Array<number>(length - row.length).fill(0)]),
  };
}
