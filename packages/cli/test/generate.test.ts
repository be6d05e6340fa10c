import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '@hooklens/core';
import { errorLines, HAS_STORIES, runCli, STORIES_BIN } from './runCli.ts';

/** Prompt lengths in stories260K tokens (BOS included), counted with its own tokenizer. */
const promptLength = (text: string) => 1 + loadTokenizer(STORIES_BIN.replace('stories260K.bin', 'tok512.bin')).encode(text).length;
const repeated = (times: number) => 'Tom had a red ball. '.repeat(times).trim();

describe.skipIf(!HAS_STORIES)('hooklens generate (stories260K)', () => {
  it('greedy decoding prints only the continuation on stdout, deterministically', async () => {
    const args = ['generate', '--model', STORIES_BIN, '--prompt', 'Once upon a time', '--max-new-tokens', '20', '--temperature', '0'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().length).toBeGreaterThan(10);
    expect(first.stdout).not.toContain('Once upon a time');
    expect(first.stdout).not.toContain('backend');
    expect(first.stderr).toMatch(/^backend: /);
    expect(first.stdout.endsWith('\n')).toBe(true);
    const second = await runCli(args);
    expect(second.stdout).toBe(first.stdout);
  });

  it('--prompt "" starts from BOS alone; seeded sampling repeats', async () => {
    const args = ['generate', '--model', STORIES_BIN, '--prompt', '', '--max-new-tokens', '15', '--temperature', '0.8', '--top-k', '20', '--top-p', '0.95', '--seed', '7'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().length).toBeGreaterThan(0);
    const second = await runCli(args);
    expect(second.stdout).toBe(first.stdout);
  });

  it('a prompt longer than n_ctx is a one-line error naming both lengths, with no output', async () => {
    const prompt = repeated(60);
    const length = promptLength(prompt);
    expect(length).toBeGreaterThan(512);
    const result = await runCli(['generate', '--model', STORIES_BIN, '--prompt', prompt, '--max-new-tokens', '5']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLines(result)).toEqual([`hooklens: prompt of ${length} tokens is longer than the model's context n_ctx = 512`]);
  });

  it('reaching n_ctx stops generation with a one-line note on stderr', async () => {
    const prompt = repeated(56);
    const room = 512 - promptLength(prompt);
    expect(room).toBeGreaterThan(0);
    expect(room).toBeLessThan(20);
    const result = await runCli(['generate', '--model', STORIES_BIN, '--prompt', prompt, '--max-new-tokens', '20', '--temperature', '0']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().length).toBeGreaterThan(0);
    expect(errorLines(result)).toEqual([`note: stopped after ${room} of 20 new tokens: the sequence reached the model's context n_ctx = 512`]);
    // Room for all of them: no note.
    const fits = await runCli(['generate', '--model', STORIES_BIN, '--prompt', prompt, '--max-new-tokens', String(room), '--temperature', '0']);
    expect(fits.code, fits.stderr).toBe(0);
    expect(errorLines(fits)).toEqual([]);
    expect(fits.stdout).toBe(result.stdout);
  });

  it('a model without a tokenizer is a one-line error', async () => {
    const result = await runCli(['generate', '--model', STORIES_BIN, '--tokenizer', STORIES_BIN.replace('stories260K.bin', 'missing.bin'), '--prompt', 'x', '--max-new-tokens', '2']);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^hooklens: .*missing\.bin/)]);
  });
});
