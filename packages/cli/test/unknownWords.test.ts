/**
 * No silent <unk> on the command line, with the shipped word-level models: a token argument the
 * model does not know is an error naming the word, the model and the nearest words it knows;
 * a prompt may hold such words, and stderr says which and where.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, runCli } from './runCli.ts';

const CLEAN = 'When Mary and John went to the store , John gave a drink to';
const CORRUPT = 'When Mary and John went to the store , Mary gave a drink to';

describe('hooklens: unknown words in token arguments and prompts (toy-ioi, toy-induction)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-unk-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('patch refuses an answer the model does not know, before any grid, suggesting the names it knows', async () => {
    const result = await runCli(['patch', '--model', 'toy-ioi', '--kind', 'z', '--answer', 'Marie', '--wrong', 'John', '--clean', CLEAN, '--corrupt', CORRUPT]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    // "Mary" and "Mark" are two edits from "Marie", every other toy-ioi word at least three.
    expect(errorLines(result)).toEqual([expect.stringMatching(/^hooklens: answer "Marie" is not a token of toy-ioi .*nearest tokens it knows: "Mary", "Mark", /)]);
  });

  it('lens refuses a target it does not know, as text or as the <unk> id', async () => {
    const byText = await runCli(['lens', '--model', 'toy-ioi', '--prompt', CLEAN, '--target', 'Zorglub']);
    expect(byText.code).toBe(1);
    expect(byText.stdout).toBe('');
    expect(byText.stderr).toMatch(/hooklens: target "Zorglub" is not a token of toy-ioi .*nearest tokens it knows: "/);
    const byId = await runCli(['lens', '--model', 'toy-ioi', '--prompt', CLEAN, '--target', '#3']);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toMatch(/hooklens: target #3 is "<unk>", the unknown token of toy-ioi/);
  });

  it('lens runs a prompt with unknown words but names them and their positions on stderr', async () => {
    const result = await runCli(['lens', '--model', 'toy-ioi', '--prompt', 'When Marie and John went to the Zorglub', '--json', '--top-k', '1']);
    expect(result.code, result.stderr).toBe(0);
    // BOS is position 0, so "Marie" is 2 and "Zorglub" 8; the lens's own labels agree.
    expect(errorLines(result)).toEqual(['warning: --prompt has 2 words toy-ioi does not know, read as "<unk>": "Marie" (position 2), "Zorglub" (position 8)']);
    const positions = JSON.parse(result.stdout).positions as string[];
    expect([positions[2], positions[8]]).toEqual(['<unk>', '<unk>']);
  });

  it('ablate warns about the prompt too', async () => {
    const result = await runCli(['ablate', '--model', 'toy-ioi', '--prompt', 'When Mary and Zorglub went to the store , Zorglub gave a drink to', '--heads', '0.3', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(errorLines(result)).toEqual(['warning: --prompt has 2 words toy-ioi does not know, read as "<unk>": "Zorglub" (position 4), "Zorglub" (position 10)']);
  });

  it('run with another model names every prompt word it lacks, then refuses the metric tokens instead of blaming the metric', async () => {
    const file = join(dir, 'ioi-patching.json');
    writeFileSync(file, JSON.stringify({
      hooklens: 1, kind: 'patching', model: { id: 'toy-ioi' }, tokenization: { prependBos: true },
      prompts: { clean: CLEAN, corrupted: CORRUPT }, patch: { kind: 'z' }, metric: { type: 'logit-diff', answer: 'Mary', wrong: 'John' },
    }));
    const result = await runCli(['run', file, '--model', 'toy-induction']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = errorLines(result);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^warning: experiment\.prompts\.clean has 14 words toy-induction does not know, read as "<unk>": "When" \(position 1\), "Mary" \(position 2\), /);
    expect(lines[1]).toMatch(/^warning: experiment\.prompts\.corrupted has 14 words toy-induction does not know/);
    expect(lines[2]).toMatch(/^hooklens: experiment\.metric\.answer "Mary" is not a token of toy-induction .*nearest tokens it knows: "t/);
    expect(result.stderr).not.toContain('same metric');
  });
});
