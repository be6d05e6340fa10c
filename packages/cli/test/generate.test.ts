import { describe, expect, it } from 'vitest';
import { errorLines, runCli, STORIES_BIN } from './runCli.ts';

describe('hooklens generate (stories260K)', () => {
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

  it('a model without a tokenizer is a one-line error', async () => {
    const result = await runCli(['generate', '--model', STORIES_BIN, '--tokenizer', STORIES_BIN.replace('stories260K.bin', 'missing.bin'), '--prompt', 'x', '--max-new-tokens', '2']);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^hooklens: .*missing\.bin/)]);
  });
});
