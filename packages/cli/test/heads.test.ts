import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLines, HAS_STORIES, REPO_ROOT, runCli, STORIES_BIN } from './runCli.ts';

describe.skipIf(!HAS_STORIES)('hooklens heads (stories260K)', () => {
  it('--json: three [layer][head] grids of scores in [0, 1]', async () => {
    const result = await runCli(['heads', '--model', STORIES_BIN, '--seq-len', '20', '--batch', '4', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const scores = JSON.parse(result.stdout);
    expect(scores.seqLen).toBe(20);
    expect(scores.batch).toBe(4);
    for (const kind of ['previousToken', 'duplicateToken', 'induction']) {
      expect(scores[kind]).toHaveLength(5);
      for (const row of scores[kind]) {
        expect(row).toHaveLength(8);
        for (const value of row) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(1);
        }
      }
    }
    // Seeded: the same command gives the same scores.
    const again = await runCli(['heads', '--model', STORIES_BIN, '--seq-len', '20', '--batch', '4', '--json']);
    expect(JSON.parse(again.stdout)).toEqual(scores);
  });

  it('prints the grids and top heads', async () => {
    const result = await runCli(['heads', '--model', STORIES_BIN, '--seq-len', '10', '--batch', '2']);
    expect(result.code, result.stderr).toBe(0);
    for (const title of ['previous-token score', 'duplicate-token score', 'induction score']) expect(result.stdout).toContain(`${title} (2 × 10 random tokens, repeated)`);
    expect(result.stdout).toMatch(/^ {6}H0 {3}H1 .* H7$/m);
    expect(result.stdout).toMatch(/^L4 {2}\d\.\d\d/m);
    expect(result.stdout).toMatch(/^top: \d\.\d \(\d\.\d\d\), \d\.\d \(\d\.\d\d\), \d\.\d \(\d\.\d\d\)$/m);
  });

  it('rejects a sequence longer than the context, in one line', async () => {
    const result = await runCli(['heads', '--model', STORIES_BIN, '--seq-len', '300']);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^hooklens: seqLen 300 repeated twice after BOS is 601 tokens, more than the model's context n_ctx = 512; use seqLen <= 255$/)]);
  });
});

describe("the README's toy-induction figures are what hooklens heads prints", () => {
  const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const row = README.split('\n').find((line) => line.startsWith('| `toy-induction` |'))!;
  const scores = async (extra: string[]) => {
    const result = await runCli(['heads', '--model', 'toy-induction', '--json', ...extra]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { previousToken: number[][]; induction: number[][]; seqLen: number };
    return { seqLen: json.seqLen, previousToken: json.previousToken[0][0].toFixed(2), induction: json.induction[1][0].toFixed(2) };
  };

  it('with --seq-len 20 and at the default length, each with the reason they differ', async () => {
    const short = /`hooklens heads --model toy-induction --seq-len 20` scores them ([\d.]+) \(previous-token\) and ([\d.]+) \(induction\)/.exec(row);
    const long = /at the default length \((\d+) tokens repeated, the whole context\) the previous-token score is ([\d.]+) and the induction score ([\d.]+), because L0H0 attends to the previous token only within the first 41 positions/.exec(row);
    expect(short, row).not.toBeNull();
    expect(long, row).not.toBeNull();
    expect(await scores(['--seq-len', '20'])).toEqual({ seqLen: 20, previousToken: short![1], induction: short![2] });
    expect(await scores([])).toEqual({ seqLen: Number(long![1]), previousToken: long![2], induction: long![3] });
  });
});
