import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '../src/index.ts';

/** Greedy decoding without a key/value cache: the whole sequence is re-run for every token (the reference generate() is checked against). */
export async function greedyByRerunning(model: HookedTransformer, prompt: readonly number[], steps: number): Promise<number[]> {
  const sequence = [...prompt];
  for (let step = 0; step < steps; step++) {
    const next = tf.tidy(() => model.forward([sequence], { unembedPositions: [sequence.length - 1] }).reshape([-1]).argMax());
    sequence.push((await next.data())[0]);
    next.dispose();
  }
  return sequence;
}
