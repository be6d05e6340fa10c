/** Where tests find the model files the repository does not ship (test/fixtures/testModels.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testModelsNotice } from './fixtures/announceTestModels.ts';
import { findTestModels } from './fixtures/testModels.ts';

describe('test models: HOOKLENS_TEST_MODELS, else ../shared/models when it exists', () => {
  const root = mkdtempSync(join(tmpdir(), 'hooklens-test-models-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  /** A folder with the given files (paths under it), each a few bytes. */
  const folder = (name: string, files: string[]) => {
    const dir = join(root, name);
    for (const file of files) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), 'x');
    }
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const ALL = ['stories260K/stories260K.bin', 'stories260K/tok512.bin', 'gpt2-tokenizer/tokenizer.json'];
  const absent = join(root, 'no-such-sibling');

  it('a fresh clone (no variable, no sibling) has none, and the notice says what to set', () => {
    expect(findTestModels({}, absent)).toEqual({ dir: undefined, origin: 'none', stories260K: undefined, gpt2TokenizerDir: undefined });
    expect(testModelsNotice({}, absent)).toBe(
      'hooklens tests: skipping those that need stories260K/ (stories260K.bin, tok512.bin) and gpt2-tokenizer/ (tokenizer.json); set HOOKLENS_TEST_MODELS=DIR (a folder holding them) to run them',
    );
  });

  it('the sibling folder counts only as far as its files exist', () => {
    const sibling = folder('sibling', ['stories260K/stories260K.bin', 'stories260K/tok512.bin']);
    const found = findTestModels({}, sibling);
    expect(found).toMatchObject({ dir: sibling, origin: 'sibling', gpt2TokenizerDir: undefined });
    expect(found.stories260K).toEqual({ dir: join(sibling, 'stories260K'), bin: join(sibling, 'stories260K', 'stories260K.bin'), tokenizer: join(sibling, 'stories260K', 'tok512.bin') });
    expect(testModelsNotice({}, sibling)).toMatch(/^hooklens tests: skipping those that need gpt2-tokenizer\/ \(tokenizer\.json\); set HOOKLENS_TEST_MODELS=DIR/);
    expect(testModelsNotice({}, folder('full-sibling', ALL))).toBeUndefined();
  });

  it('the variable wins over the sibling; a folder it names that lacks a file stops the run, naming the file', () => {
    const full = folder('full', ALL);
    const sibling = folder('other', ALL);
    expect(findTestModels({ HOOKLENS_TEST_MODELS: full }, sibling)).toMatchObject({ dir: full, origin: 'env', gpt2TokenizerDir: join(full, 'gpt2-tokenizer') });
    expect(testModelsNotice({ HOOKLENS_TEST_MODELS: full }, absent)).toBeUndefined();
    const partial = folder('partial', ['stories260K/stories260K.bin']);
    expect(() => testModelsNotice({ HOOKLENS_TEST_MODELS: partial }, sibling)).toThrow(`HOOKLENS_TEST_MODELS=${partial} lacks stories260K/tok512.bin, gpt2-tokenizer/tokenizer.json`);
  });
});
