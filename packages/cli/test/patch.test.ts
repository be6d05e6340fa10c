import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel } from '@hooklens/core';
import { errorLines, HAS_STORIES, runCli, STORIES_BIN } from './runCli.ts';

// 'Lily' and 'Tim' are single tokens in stories260K's tok512; swapping them keeps the length.
const CLEAN = 'When Lily and Tim went to the park, Tim gave a ball to';
const CORRUPT = 'When Lily and Tim went to the park, Lily gave a ball to';
const BASE = ['patch', '--model', STORIES_BIN, '--answer', 'Lily', '--wrong', 'Tim'];

interface PatchJson { kind: string; rows: string[]; cols: string[]; values: number[][]; clean: number; corrupted: number }

let cleanIds: number[];
let corruptIds: number[];
const dir = mkdtempSync(join(tmpdir(), 'hooklens-patch-'));

describe.skipIf(!HAS_STORIES)('hooklens patch (stories260K)', () => {
  beforeAll(async () => {
    await initBackend();
    const model = await loadModel(STORIES_BIN);
    cleanIds = model.toTokens(CLEAN);
    corruptIds = model.toTokens(CORRUPT);
    model.dispose();
  });
  let json: PatchJson;

  it('--json gives labels, normalised values and the two metrics', async () => {
    const result = await runCli([...BASE, '--clean', CLEAN, '--corrupt', CORRUPT, '--kind', 'resid_pre', '--json', '--workers', '1']);
    expect(result.code, result.stderr).toBe(0);
    json = JSON.parse(result.stdout) as PatchJson;
    expect(json.kind).toBe('resid_pre');
    expect(json.rows).toEqual(['L0', 'L1', 'L2', 'L3', 'L4']);
    expect(json.cols).toHaveLength(cleanIds.length);
    expect(json.cols[16]).toBe('pos 16: " Tim"');
    expect(json.values).toHaveLength(5);
    expect(json.values.every((row) => row.length === cleanIds.length)).toBe(true);
    expect(json.clean).not.toBe(json.corrupted);
    // Layer 0 at the one differing position turns the corrupted run into the clean one.
    expect(json.values[0][16]).toBeCloseTo(1, 4);
    expect(json.values[0][15]).toBeCloseTo(0, 5);
    expect(errorLines(result)).toEqual([]); // no progress bar when stderr is not a TTY
  });

  it('tokens files give the same numbers; --workers 2 too', async () => {
    const cleanFile = join(dir, 'clean.json');
    const corruptFile = join(dir, 'corrupt.json');
    writeFileSync(cleanFile, JSON.stringify(cleanIds));
    writeFileSync(corruptFile, JSON.stringify([corruptIds]));
    const result = await runCli([...BASE, '--clean-tokens-file', cleanFile, '--corrupt-tokens-file', corruptFile, '--kind', 'resid_pre', '--json', '--workers', '2']);
    expect(result.code, result.stderr).toBe(0);
    const fromFiles = JSON.parse(result.stdout) as PatchJson;
    expect(fromFiles.cols).toEqual(json.cols);
    fromFiles.values.forEach((row, l) => row.forEach((value, p) => expect(value).toBeCloseTo(json.values[l][p], 4)));
  });

  it('prints a readable table for head kinds', async () => {
    const result = await runCli([...BASE, '--clean', CLEAN, '--corrupt', CORRUPT, '--kind', 'z']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^z patching: metric clean -?\d+\.\d{4}, corrupted -?\d+\.\d{4}/);
    expect(lines[2]).toMatch(/^layer\s+H0\s+H1 .* H7$/);
    expect(lines.slice(3)).toHaveLength(5);
    expect(lines[3]).toMatch(/^L0\s+-?\d\.\d\d/);
  });

  it('bad input: one-line errors', async () => {
    const unequal = await runCli([...BASE, '--clean', CLEAN, '--corrupt', 'When Lily and Tim went to the park, Lily gave a ball', '--kind', 'resid_pre']);
    expect(unequal.code).toBe(1);
    expect(errorLines(unequal)).toEqual([`hooklens: the clean prompt has ${cleanIds.length} tokens but the corrupted prompt has ${cleanIds.length - 1}; patching needs prompts of equal length`]);

    const multiToken = await runCli(['patch', '--model', STORIES_BIN, '--clean', CLEAN, '--corrupt', CORRUPT, '--answer', 'Mary', '--wrong', 'Tim', '--kind', 'resid_pre']);
    expect(multiToken.code).toBe(1);
    expect(errorLines(multiToken)).toEqual([expect.stringMatching(/^hooklens: answer "Mary" is 3 tokens .* give a single token or #ID$/)]);

    const empty = await runCli([...BASE, '--clean', '', '--corrupt', CORRUPT, '--kind', 'resid_pre']);
    expect(empty.code).toBe(1);
    expect(errorLines(empty)).toEqual(['hooklens: clean prompt is empty']);

    const kind = await runCli([...BASE, '--clean', CLEAN, '--corrupt', CORRUPT, '--kind', 'resid']);
    expect(kind.code).toBe(2);
    expect(errorLines(kind)[0]).toMatch(/unknown --kind 'resid'; kinds: resid_pre, resid_mid/);

    const both = await runCli([...BASE, '--corrupt', CORRUPT, '--kind', 'resid_pre']);
    expect(both.code).toBe(2);
    expect(errorLines(both)[0]).toMatch(/give exactly one of --clean TEXT or --clean-tokens-file FILE/);

    const twoRows = join(dir, 'two.json');
    writeFileSync(twoRows, JSON.stringify([cleanIds, cleanIds]));
    const rows = await runCli([...BASE, '--clean-tokens-file', twoRows, '--corrupt', CORRUPT, '--kind', 'resid_pre']);
    expect(rows.code).toBe(1);
    expect(errorLines(rows)).toEqual([`hooklens: ${twoRows}: holds 2 prompts; patching takes one prompt per file ([id, …])`]);
  });
});
