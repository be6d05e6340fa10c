import * as tf from '@tensorflow/tfjs-core';
import { ToolInputError } from './tokens.ts';

/**
 * logit[answer] − logit[wrong] at one position of each row: the standard metric for
 * indirect-object-identification style tasks. logits: [batch, pos, d_vocab] → [batch].
 */
export function logitDifference(logits: tf.Tensor3D, position: number, answer: number, wrong: number): tf.Tensor1D {
  const [, length, vocab] = logits.shape;
  if (position < 0 || position >= length) throw new ToolInputError(`position ${position} is outside the prompt's ${length} tokens`);
  for (const [name, id] of [['answer', answer], ['wrong', wrong]] as const) {
    if (id < 0 || id >= vocab) throw new ToolInputError(`${name} token id ${id} is out of range [0, ${vocab})`);
  }
  return tf.tidy(() => {
    const row = logits.slice([0, position, 0], [-1, 1, -1]).reshape([-1, vocab]);
    const gather = (id: number) => row.slice([0, id], [-1, 1]).reshape([-1]);
    return gather(answer).sub(gather(wrong)) as tf.Tensor1D;
  });
}

/**
 * Maps a metric value onto the clean→corrupted scale: clean = 1, corrupted = 0.
 * The usual normalisation of activation-patching results.
 */
export function normalizeMetric(value: number, clean: number, corrupted: number): number {
  const span = clean - corrupted;
  if (span === 0) throw new ToolInputError('clean and corrupted prompts give the same metric: nothing to normalise against');
  return (value - corrupted) / span;
}

/** Entropy (nats) of each row of probabilities. */
export function entropy(probabilities: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (p > 0) total -= p * Math.log(p);
  }
  return total;
}

/** KL(p ‖ q) in nats. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) total += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-30)));
  return total;
}
