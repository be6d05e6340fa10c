import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLines, runCli } from './runCli.ts';

const dir = mkdtempSync(join(tmpdir(), 'hooklens-cli-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hooklens train', () => {
  it('trains on a text file and writes a checkpoint that info loads, with --json summary', async () => {
    const text = join(dir, 'corpus.txt');
    writeFileSync(text, 'the cat sat on the mat. '.repeat(50));
    const out = join(dir, 'model');
    const result = await runCli(['train', '--task', 'text', '--text', text, '--layers', '1', '--d-model', '16', '--heads', '2', '--d-mlp', '32',
      '--context', '17', '--steps', '20', '--batch', '4', '--lr', '0.01', '--seed', '3', '--out', out, '--json'], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ task: 'text', steps: 20, batch: 4, seed: 3, out });
    expect(summary.heldOut.loss).toBeLessThan(summary.chanceLoss);
    // Not a terminal: progress lines and evaluations, no bar.
    expect(result.stderr).toMatch(/^step 20\/20 loss/m);
    expect(result.stderr).toMatch(/^eval step 20: held-out loss/m);
    expect(result.stderr).not.toContain('\r');
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'training.json']);
    expect(readdirSync(dir).sort()).toEqual(['corpus.txt', 'model']);
    expect(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).command).toContain('train --task text');

    const info = await runCli(['info', '--model', out, '--json']);
    expect(info.code, info.stderr).toBe(0);
    const described = JSON.parse(info.stdout);
    expect(described.architecture).toMatchObject({ nLayers: 1, dModel: 16, nHeads: 2, dMlp: 32, nCtx: 17 });
    expect(JSON.stringify(described)).toContain('tokenizer.json');
  });

  it('an induction run records both chance levels: the whole vocabulary and the random tokens the copied half is drawn from', async () => {
    const out = join(dir, 'induction');
    const result = await runCli(['train', '--task', 'induction', '--layers', '1', '--d-model', '16', '--heads', '1', '--attn-only',
      '--context', '9', '--steps', '2', '--batch', '2', '--seed', '1', '--out', out, '--json'], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    // 60 random tokens t0…t59 plus <bos> <eos> <pad> <unk>.
    expect(summary.chanceLoss).toBeCloseTo(Math.log(64), 12);
    expect(summary.repeatedHalfChanceLoss).toBeCloseTo(Math.log(60), 12);
    expect(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).repeatedHalfChanceLoss).toBeCloseTo(Math.log(60), 12);
  });

  it('bad options are one-line errors and write nothing', async () => {
    const out = join(dir, 'never');
    const cases: [string[], RegExp][] = [
      [['--task', 'poetry'], /unknown --task 'poetry'; tasks: induction, ioi, text/],
      [['--task', 'text'], /--task text needs --text FILE/],
      [['--task', 'induction', '--d-model', '30', '--heads', '4'], /--d-model 30 must be a multiple of --heads 4/],
      [['--task', 'text', '--text', join(dir, 'missing.txt')], /missing\.txt: cannot read the text file/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['train', ...args, '--out', out]);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(errorLines(result)).toEqual([expect.stringMatching(message)]);
    }
    expect(existsSync(out)).toBe(false);
  });
});
