import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';
import { HuggingFaceTokenizer, TokenizerError, loadTokenizer } from '../../src/tokenizers/index.ts';

const GPT2_DIR = TEST_MODELS.gpt2TokenizerDir;
const GPT2 = join(GPT2_DIR ?? '', 'tokenizer.json');

const tmp = mkdtempSync(join(tmpdir(), 'hooklens-hf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PARAGRAPH =
  'When Mary and John went to the store, John gave a drink to Mary.\n' +
  'Ünïcödé: naïve café, 日本語のテキスト, emoji 🦙🚀, math ∑ x² ≤ ∞ — and   odd  spacing\t tabs.\n' +
  "It's 3.14159 o'clock; don't  panic !";

describe.skipIf(!GPT2_DIR)('Hugging Face tokenizer: GPT-2', () => {
  // Read in beforeAll: a skipped describe's body still runs (to list its tests), without the file.
  let tok: HuggingFaceTokenizer;
  beforeAll(() => { tok = HuggingFaceTokenizer.fromFile(GPT2); });

  it('reads vocab size and special tokens', () => {
    expect(tok.source).toBe(GPT2);
    expect(tok.vocabSize).toBe(50257);
    expect(tok.bosTokenId).toBe(50256);
    expect(tok.eosTokenId).toBe(50256);
    expect(tok.padTokenId).toBeUndefined();
  });

  it('encodes without special tokens', () => {
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.encode(' Mary')).toEqual([5335]);
    expect(tok.encode('')).toEqual([]);
  });

  it('tokenToString decodes one token as to_str_tokens does', () => {
    expect(tok.tokenToString(5335)).toBe(' Mary');
    expect(tok.tokenToString(15496)).toBe('Hello');
    expect(tok.tokenToString(995)).toBe(' world');
    expect(tok.tokenToString(50256)).toBe('<|endoftext|>');
  });

  it('round-trips a paragraph with unicode', () => {
    const ids = tok.encode(PARAGRAPH);
    expect(ids.length).toBeGreaterThan(20);
    expect(tok.decode(ids)).toBe(PARAGRAPH);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize)).toBe(true);
  });

  it('decodes, dropping special tokens and not cleaning up spaces', () => {
    expect(tok.decode([15496, 995])).toBe('Hello world');
    expect(tok.decode([50256, 15496, 995, 50256])).toBe('Hello world');
    expect(tok.decode([50256])).toBe('');
    expect(tok.decode([])).toBe('');
    const ids = tok.encode("don't , stop .");
    expect(tok.decode(ids)).toBe("don't , stop .");
  });

  it('rejects ids outside the vocab', () => {
    expect(() => tok.decode([50257])).toThrow(TokenizerError);
    expect(() => tok.tokenToString(-1)).toThrow(/not in the vocabulary/);
  });

  it('reads tokenizer_config.json beside tokenizer.json', () => {
    const dir = join(tmp, 'with-config');
    mkdirSync(dir);
    copyFileSync(GPT2, join(dir, 'tokenizer.json'));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        bos_token: { content: '<|endoftext|>', special: true },
        eos_token: '<|endoftext|>',
        pad_token: '<|endoftext|>',
        model_max_length: 1024,
      }),
    );
    const t = loadTokenizer(dir);
    expect(t.bosTokenId).toBe(50256);
    expect(t.eosTokenId).toBe(50256);
    expect(t.padTokenId).toBe(50256);
    expect(t.encode('Hello world')).toEqual([15496, 995]);
  });

  it('names tokenizer_config.json when it is malformed', () => {
    const dir = join(tmp, 'bad-config');
    mkdirSync(dir);
    copyFileSync(GPT2, join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{ "bos_token": ');
    expect(() => loadTokenizer(dir)).toThrow(/bad-config\/tokenizer_config\.json: malformed JSON/);
  });
});

describe('Hugging Face tokenizer: small hand-written tokenizer.json', () => {
  // A WordLevel tokenizer with Llama-style special tokens and no tokenizer_config.json.
  const json = {
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<unk>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 1, content: '<s>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 2, content: '</s>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 3, content: '<pad>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab: { '<unk>': 0, '<s>': 1, '</s>': 2, '<pad>': 3, hello: 4, world: 5 }, unk_token: '<unk>' },
  };

  it('finds BOS/EOS/PAD by name and does not add the template BOS when encoding', () => {
    const p = join(tmp, 'wordlevel.json');
    writeFileSync(p, JSON.stringify(json));
    const t = loadTokenizer(p);
    expect(t.vocabSize).toBe(6);
    expect(t.bosTokenId).toBe(1);
    expect(t.eosTokenId).toBe(2);
    expect(t.padTokenId).toBe(3);
    expect(t.encode('hello world')).toEqual([4, 5]);
    expect(t.decode([1, 4, 5, 2, 3])).toBe('hello world');
  });
});

describe('Hugging Face tokenizer: errors name the file', () => {
  it('missing file', () => {
    expect(() => HuggingFaceTokenizer.fromFile(join(tmp, 'absent.json'))).toThrow(/absent\.json: tokenizer file does not exist/);
  });

  it('malformed JSON', () => {
    const p = join(tmp, 'broken.json');
    writeFileSync(p, '{"model": {');
    expect(() => loadTokenizer(p)).toThrow(TokenizerError);
    expect(() => loadTokenizer(p)).toThrow(/broken\.json: malformed JSON in tokenizer\.json/);
  });

  it('JSON that is not a tokenizer', () => {
    const p = join(tmp, 'vocab.json');
    writeFileSync(p, JSON.stringify({ hello: 1 }));
    expect(() => loadTokenizer(p)).toThrow(/vocab\.json: not a Hugging Face tokenizer\.json/);
    writeFileSync(p, '[1, 2]');
    expect(() => loadTokenizer(p)).toThrow(/vocab\.json: tokenizer\.json must be a JSON object/);
  });

  it('a model type the library does not know', () => {
    const p = join(tmp, 'weird.json');
    writeFileSync(p, JSON.stringify({ model: { type: 'NoSuchModel' }, added_tokens: [] }));
    expect(() => loadTokenizer(p)).toThrow(/weird\.json: @huggingface\/tokenizers cannot load it: Unknown TokenizerModel type/);
  });
});
