import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, runCli } from './runCli.ts';

describe('a tokenizer.json whose regex backtracks catastrophically', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hooklens-evil-tok-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is one error line naming the file, not a frozen command', async () => {
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify({
      version: '1.0', added_tokens: [], normalizer: null, post_processor: null, decoder: null,
      pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated', invert: false },
      model: { type: 'WordLevel', vocab: { '<unk>': 0, a: 1, '!': 2 }, unk_token: '<unk>' },
    }));
    // Each extra "a" doubles the native engine's work: 2^60 steps, i.e. it would never finish.
    const result = await runCli(['lens', '--model', 'toy-ioi', '--tokenizer', path, '--prompt', `${'a'.repeat(60)}!`], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([
      `hooklens: ${path}: pre_tokenizer (Split) pattern /(a+)+$/ did not finish within 2001 ms on a 61-character text (it backtracks catastrophically on this input); fix or replace the tokenizer file`,
    ]);
  });
});
