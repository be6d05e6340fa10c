import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';
import { HuggingFaceTokenizer, Llama2cTokenizer, TokenizerError, loadTokenizer } from '../../src/tokenizers/index.ts';

const GPT2_DIR = TEST_MODELS.gpt2TokenizerDir ?? '';
const STORIES_DIR = TEST_MODELS.stories260K?.dir ?? '';

const tmp = mkdtempSync(join(tmpdir(), 'hooklens-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!GPT2_DIR || !STORIES_DIR)('loadTokenizer on the GPT-2 and stories260K tokenizers', () => {
  it('a tokenizer.json file or its directory → Hugging Face', () => {
    const a = loadTokenizer(join(GPT2_DIR, 'tokenizer.json'));
    const b = loadTokenizer(GPT2_DIR);
    expect(a).toBeInstanceOf(HuggingFaceTokenizer);
    expect(b).toBeInstanceOf(HuggingFaceTokenizer);
    expect(b.source).toBe(join(GPT2_DIR, 'tokenizer.json'));
    expect(b.encode('Hello world')).toEqual([15496, 995]);
  });

  it('a .bin file or a directory with one tok*.bin → llama2.c', () => {
    const a = loadTokenizer(join(STORIES_DIR, 'tok512.bin'));
    const b = loadTokenizer(STORIES_DIR, { vocabSize: 512 });
    expect(a).toBeInstanceOf(Llama2cTokenizer);
    expect(b).toBeInstanceOf(Llama2cTokenizer);
    expect(b.source).toBe(join(STORIES_DIR, 'tok512.bin'));
    expect(b.vocabSize).toBe(512);
  });

  it('a .bin that is not a tokenizer (a model checkpoint) → TokenizerError', () => {
    const p = join(STORIES_DIR, 'stories260K.bin');
    expect(() => loadTokenizer(p)).toThrow(TokenizerError);
    expect(() => loadTokenizer(p)).toThrow(/stories260K\.bin: not a llama2.c tokenizer\.bin/);
  });

  it('prefers tokenizer.bin, and refuses to guess between several tok*.bin', () => {
    const dir = join(tmp, 'several');
    mkdirSync(dir);
    copyFileSync(join(STORIES_DIR, 'tok512.bin'), join(dir, 'tok512.bin'));
    copyFileSync(join(STORIES_DIR, 'tok512.bin'), join(dir, 'tok4096.bin'));
    expect(() => loadTokenizer(dir)).toThrow(/several candidate tokenizers \(tok4096\.bin, tok512\.bin\)/);
    copyFileSync(join(STORIES_DIR, 'tok512.bin'), join(dir, 'tokenizer.bin'));
    expect(loadTokenizer(dir).source).toBe(join(dir, 'tokenizer.bin'));
  });
});

describe('loadTokenizer errors', () => {
  it('a missing path', () => {
    const p = join(tmp, 'missing', 'tokenizer.json');
    expect(() => loadTokenizer(p)).toThrow(TokenizerError);
    expect(() => loadTokenizer(p)).toThrow(/missing\/tokenizer\.json: no such file or directory \(supported: /);
  });

  it('an unsupported file', () => {
    const p = join(tmp, 'merges.txt');
    writeFileSync(p, '#version: 0.2\n');
    expect(() => loadTokenizer(p)).toThrow(/merges\.txt: unrecognised tokenizer file \(supported: .*tokenizer\.json/);
  });

  it('a directory without a tokenizer', () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), '');
    expect(() => loadTokenizer(dir)).toThrow(/empty: no tokenizer\.json, tokenizer\.bin or tok\*\.bin in this directory/);
  });
});
