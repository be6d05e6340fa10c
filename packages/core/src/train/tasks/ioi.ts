/**
 * Indirect-object identification (Wang et al. 2022, "Interpretability in the Wild"):
 * "When Mary and John went to the store , John gave a drink to" → "Mary". Two names are
 * introduced, one (the subject) is repeated, and the answer is the other one (the indirect
 * object). Word-level vocabulary of names, places and objects; both name orders (ABB… and
 * BAB…). A fixed share of (template, indirect object, subject) combinations is held out of
 * training, so held-out accuracy measures the algorithm, not memorised sentences.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '../../model.ts';
import { seededRandom } from '../../sampling.ts';
import { BOS_ID, EOS_ID, PAD_ID, wordVocabulary } from '../vocabulary.ts';
import { padRows, randomInt } from './task.ts';
import type { Batch, TrainingTask } from './task.ts';

export const IOI_NAMES = [
  'Mary', 'John', 'Alice', 'Bob', 'Tom', 'James', 'Dan', 'Sarah', 'Anna', 'Paul', 'Kate', 'Mark', 'Lisa', 'Mike', 'Emma', 'Jack',
  'Laura', 'Peter', 'Rose', 'Sam', 'Grace', 'Luke', 'Clara', 'Henry',
] as const;
export const IOI_PLACES = ['store', 'park', 'school', 'station', 'garden', 'office', 'restaurant', 'hospital', 'house', 'beach'] as const;
export const IOI_OBJECTS = ['drink', 'ring', 'book', 'kiss', 'basketball', 'computer', 'necklace', 'bone', 'snack', 'letter'] as const;

/** [A] and [B] are introduced, [S] is the repeated subject; the answer follows the last word. */
export const IOI_TEMPLATES = [
  'When [A] and [B] went to the [PLACE] , [S] gave a [OBJECT] to',
  'When [A] and [B] went to the [PLACE] , [S] gave the [OBJECT] to',
  'Then , [A] and [B] had a lot of fun at the [PLACE] . [S] gave a [OBJECT] to',
  'Then , [A] and [B] were working at the [PLACE] . [S] decided to give a [OBJECT] to',
  'While [A] and [B] were commuting to the [PLACE] , [S] gave a [OBJECT] to',
  'After [A] and [B] went to the [PLACE] , [S] gave a [OBJECT] to',
  'Friends [A] and [B] found a [OBJECT] at the [PLACE] . [S] gave it to',
  'The [PLACE] was quiet when [A] and [B] arrived . [S] handed the [OBJECT] to',
] as const;

export interface IoiPrompt {
  /** The prompt's words, ending before the answer. */
  text: string;
  /** Indirect object (the right answer) and subject (the repeated, wrong name). */
  io: string;
  subject: string;
  template: number;
}

const TEMPLATE_WORDS = [...new Set(IOI_TEMPLATES.flatMap((t) => t.split(' ')).filter((w) => !/^\[\w+\]$/.test(w)))];

export function ioiVocabulary() {
  return wordVocabulary([...TEMPLATE_WORDS, ...IOI_NAMES, ...IOI_PLACES, ...IOI_OBJECTS]);
}

/** Whether a (template, indirect object, subject) combination is held out of training (about 1 in 5). */
export function isHeldOut(template: number, io: number, subject: number): boolean {
  let h = Math.imul(template + 1, 0x9e3779b1) ^ Math.imul(io + 7, 0x85ebca6b) ^ Math.imul(subject + 13, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) % 5 === 0;
}

/** One prompt from the training (`heldOut` false) or the held-out combinations. */
export function ioiPrompt(random: () => number, heldOut: boolean): IoiPrompt {
  for (;;) {
    const template = randomInt(random, IOI_TEMPLATES.length);
    const io = randomInt(random, IOI_NAMES.length);
    const subject = randomInt(random, IOI_NAMES.length);
    if (io === subject || isHeldOut(template, io, subject) !== heldOut) continue;
    const [a, b] = random() < 0.5 ? [io, subject] : [subject, io];
    const text = IOI_TEMPLATES[template]
      .replace('[A]', IOI_NAMES[a]).replace('[B]', IOI_NAMES[b]).replace('[S]', IOI_NAMES[subject])
      .replace('[PLACE]', IOI_PLACES[randomInt(random, IOI_PLACES.length)])
      .replace('[OBJECT]', IOI_OBJECTS[randomInt(random, IOI_OBJECTS.length)]);
    return { text, io: IOI_NAMES[io], subject: IOI_NAMES[subject], template };
  }
}

export const IOI_HELD_OUT_SEED = 2_000_003;

/** `count` held-out prompts, the same for a given seed. */
export function heldOutIoiPrompts(count: number, seed = IOI_HELD_OUT_SEED): IoiPrompt[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => ioiPrompt(random, true));
}

const vocab = ioiVocabulary();

/** Token ids of a prompt: BOS and its words (the answer not included). */
export function ioiPromptIds(prompt: IoiPrompt): number[] {
  return [BOS_ID, ...prompt.text.split(' ').map((word) => vocab.id(word))];
}

/** A full training row: BOS, prompt, answer, EOS. */
export function ioiTrainingRow(prompt: IoiPrompt): number[] {
  return [...ioiPromptIds(prompt), vocab.id(prompt.io), EOS_ID];
}

export const IOI_CONTEXT_LENGTH = Math.max(...IOI_TEMPLATES.map((t) => t.split(' ').length)) + 3;

/**
 * Held-out accuracy (the indirect object's logit beats the subject's) and mean logit
 * difference (indirect object − subject) at each prompt's last position.
 */
export function ioiMetrics(model: HookedTransformer, prompts: readonly IoiPrompt[], batchSize = 64): { accuracy: number; logitDiff: number; topAccuracy: number } {
  let correct = 0;
  let top = 0;
  let diffSum = 0;
  for (let start = 0; start < prompts.length; start += batchSize) {
    const chunk = prompts.slice(start, start + batchSize);
    const rows = chunk.map(ioiPromptIds);
    const batch = padRows(rows, PAD_ID);
    const logits = tf.tidy(() => {
      const all = model.forward(batch.tokens, batch.attentionMask ? { attentionMask: batch.attentionMask } : {});
      return all.arraySync() as number[][][];
    });
    chunk.forEach((prompt, i) => {
      const last = logits[i][rows[i].length - 1];
      const diff = last[vocab.id(prompt.io)] - last[vocab.id(prompt.subject)];
      diffSum += diff;
      if (diff > 0) correct++;
      if (last.indexOf(Math.max(...last)) === vocab.id(prompt.io)) top++;
    });
  }
  return { accuracy: correct / prompts.length, logitDiff: diffSum / prompts.length, topAccuracy: top / prompts.length };
}

export function ioiTask(options: { heldOutPrompts?: number; heldOutSeed?: number } = {}): TrainingTask {
  const prompts = heldOutIoiPrompts(options.heldOutPrompts ?? 512, options.heldOutSeed);
  return {
    name: 'ioi',
    vocabulary: vocab,
    contextLength: IOI_CONTEXT_LENGTH,
    trainBatch(random, batchSize): Batch {
      return padRows(Array.from({ length: batchSize }, () => ioiTrainingRow(ioiPrompt(random, false))), PAD_ID);
    },
    heldOutBatches(batchSize) {
      const batches: Batch[] = [];
      for (let i = 0; i < prompts.length; i += batchSize) batches.push(padRows(prompts.slice(i, i + batchSize).map(ioiTrainingRow), PAD_ID));
      return batches;
    },
    evaluate(model) {
      return ioiMetrics(model, prompts);
    },
  };
}
