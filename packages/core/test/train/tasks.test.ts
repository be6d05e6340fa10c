import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/index.ts';
import {
  BOS_ID, EOS_ID, heldOutIoiPrompts, inductionRow, inductionTask, IOI_NAMES, ioiPrompt, ioiPromptIds, ioiTask, ioiTrainingRow,
  ioiVocabulary, isHeldOut, IOI_TEMPLATES, repeatedTokens, SPECIAL_TOKENS, textTask,
} from '../../src/train/index.ts';

describe('induction task', () => {
  it('rows are BOS then a random segment repeated to the context length', () => {
    const random = seededRandom(3);
    const segments = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const row = inductionRow(random, 41, 4, 64);
      expect(row).toHaveLength(41);
      expect(row[0]).toBe(BOS_ID);
      expect(row.slice(1).every((id) => id >= SPECIAL_TOKENS.length && id < 64)).toBe(true);
      // The shortest period of the row after BOS is its segment length.
      const body = row.slice(1);
      const period = [...Array(21).keys()].slice(4).find((p) => body.every((id, j) => j < p || id === body[j - p]));
      expect(period).toBeDefined();
      segments.add(period!);
    }
    // Segment lengths vary, so no fixed offset solves the task.
    expect(segments.size).toBeGreaterThan(10);
  });

  it('the repeated-token probe copies its first half; batches are seeded', () => {
    const rows = repeatedTokens(seededRandom(1), 3, 10, 64);
    for (const row of rows) {
      expect(row).toHaveLength(21);
      expect(row.slice(1, 11)).toEqual(row.slice(11));
    }
    const task = inductionTask();
    expect(task.trainBatch(seededRandom(5), 4)).toEqual(task.trainBatch(seededRandom(5), 4));
    expect(task.trainBatch(seededRandom(5), 4).tokens).toHaveLength(4);
    expect(task.heldOutBatches(100).map((b) => b.tokens.length)).toEqual([100, 100, 56]);
  });
});

describe('IOI task', () => {
  const vocab = ioiVocabulary();

  it('the answer is the name that is not repeated, in both name orders', () => {
    const random = seededRandom(11);
    let abb = 0;
    for (let i = 0; i < 300; i++) {
      const prompt = ioiPrompt(random, false);
      const words = prompt.text.split(' ');
      const names = words.filter((w) => (IOI_NAMES as readonly string[]).includes(w));
      expect(names).toHaveLength(3);
      expect(names[2]).toBe(prompt.subject);
      expect(names.filter((n) => n === prompt.io)).toHaveLength(1);
      expect(names.filter((n) => n === prompt.subject)).toHaveLength(2);
      expect(prompt.io).not.toBe(prompt.subject);
      if (names[0] === prompt.io) abb++;
      expect(isHeldOut(prompt.template, IOI_NAMES.indexOf(prompt.io as never), IOI_NAMES.indexOf(prompt.subject as never))).toBe(false);
      const row = ioiTrainingRow(prompt);
      expect(row[0]).toBe(BOS_ID);
      expect(row.at(-2)).toBe(vocab.id(prompt.io));
      expect(row.at(-1)).toBe(EOS_ID);
      expect(ioiPromptIds(prompt)).toEqual(row.slice(0, -2));
    }
    expect(abb).toBeGreaterThan(100);
    expect(abb).toBeLessThan(200);
  });

  it('held-out prompts use only held-out (template, IO, subject) combinations, about a fifth of them', () => {
    const prompts = heldOutIoiPrompts(200);
    expect(heldOutIoiPrompts(200)).toEqual(prompts);
    for (const p of prompts) expect(isHeldOut(p.template, IOI_NAMES.indexOf(p.io as never), IOI_NAMES.indexOf(p.subject as never))).toBe(true);
    let held = 0;
    let total = 0;
    for (let t = 0; t < IOI_TEMPLATES.length; t++) for (let a = 0; a < IOI_NAMES.length; a++) for (let b = 0; b < IOI_NAMES.length; b++) {
      if (a === b) continue;
      total++;
      if (isHeldOut(t, a, b)) held++;
    }
    expect(held / total).toBeGreaterThan(0.15);
    expect(held / total).toBeLessThan(0.25);
    expect(new Set(prompts.map((p) => p.template)).size).toBe(IOI_TEMPLATES.length);
  });

  it('batches are right-padded with a mask that marks the real tokens', () => {
    const batch = ioiTask({ heldOutPrompts: 8 }).trainBatch(seededRandom(2), 16);
    const length = batch.tokens[0].length;
    expect(batch.attentionMask).toBeDefined();
    batch.tokens.forEach((row, i) => {
      expect(row).toHaveLength(length);
      const real = batch.attentionMask![i].reduce((a, b) => a + b, 0);
      expect(row[real - 1]).toBe(EOS_ID);
    });
  });
});

describe('text task', () => {
  it('windows of the text after BOS, character ids, last tenth held out', () => {
    const text = 'abcdefghij'.repeat(30);
    const task = textTask(text, 'memory', { contextLength: 9 });
    expect(task.vocabulary.size).toBe(SPECIAL_TOKENS.length + 10);
    const batch = task.trainBatch(seededRandom(1), 5);
    for (const row of batch.tokens) {
      expect(row).toHaveLength(9);
      expect(row[0]).toBe(BOS_ID);
      const chars = row.slice(1).map((id) => task.vocabulary.tokens[id]).join('');
      expect(text).toContain(chars);
    }
    expect(() => textTask('short', 'x.txt')).toThrow(/x\.txt: text too short/);
  });
});
