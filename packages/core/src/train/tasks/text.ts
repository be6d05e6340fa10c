/**
 * Character-level language modelling on any plain-text file: every distinct character is a
 * token. The last tenth of the text is held out for evaluation.
 */
import { readFileSync } from 'node:fs';
import { seededRandom } from '../../sampling.ts';
import { BOS_ID, charVocabulary } from '../vocabulary.ts';
import { randomInt } from './task.ts';
import type { Batch, TrainingTask } from './task.ts';

export interface TextOptions {
  /** Row length including BOS (default 65). */
  contextLength?: number;
  heldOutSeed?: number;
  heldOutRows?: number;
}

export function textTask(text: string, source: string, options: TextOptions = {}): TrainingTask {
  const contextLength = options.contextLength ?? 65;
  const chars = [...text];
  const window = contextLength - 1;
  const split = Math.floor(chars.length * 0.9);
  if (split < window + 1 || chars.length - split < window + 1) {
    throw new Error(`${source}: text too short for training (${chars.length} characters; needs at least ${Math.ceil((window + 1) / 0.1)} for ${window}-character windows and a held-out tenth)`);
  }
  const vocabulary = charVocabulary([...new Set(chars)].sort());
  const ids = chars.map((c) => vocabulary.id(c));
  const rowAt = (start: number) => [BOS_ID, ...ids.slice(start, start + window)];
  const heldOutRandom = seededRandom(options.heldOutSeed ?? 3_000_017);
  const heldOut = Array.from({ length: options.heldOutRows ?? 128 }, () => rowAt(split + randomInt(heldOutRandom, chars.length - split - window + 1)));
  return {
    name: 'text',
    vocabulary,
    contextLength,
    trainBatch(random, batchSize): Batch {
      return { tokens: Array.from({ length: batchSize }, () => rowAt(randomInt(random, split - window + 1))) };
    },
    heldOutBatches(batchSize) {
      const batches: Batch[] = [];
      for (let i = 0; i < heldOut.length; i += batchSize) batches.push({ tokens: heldOut.slice(i, i + batchSize) });
      return batches;
    },
  };
}

export function textFileTask(path: string, options: TextOptions = {}): TrainingTask {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read the text file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return textTask(text, path, options);
}
