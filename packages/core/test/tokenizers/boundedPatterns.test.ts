/**
 * Regexes written in a tokenizer.json run under a time budget: a pattern that backtracks
 * catastrophically is a TokenizerError naming the file, never a frozen process, and every other
 * pattern gives exactly what the unmodified library gives (the reference here: @huggingface/tokenizers
 * used directly, without the bounded patterns).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer as LibraryTokenizer } from '@huggingface/tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { HuggingFaceTokenizer, TokenizerError } from '../../src/tokenizers/index.ts';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';

const GPT2 = TEST_MODELS.gpt2TokenizerDir && join(TEST_MODELS.gpt2TokenizerDir, 'tokenizer.json');
// English prose, code, tables and non-ASCII punctuation the repository ships.
const CORPORA = ['../../../../README.md', '../../../ui/API.md', '../../src/model.ts'].map((path) => fileURLToPath(new URL(path, import.meta.url)));

/** GPT-2's pre-tokenizer regex as tokenizers written by `tokenizers` >= 0.13 spell it out in a Split. */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const tmp = mkdtempSync(join(tmpdir(), 'hooklens-regex-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Json = Record<string, unknown>;

function wordLevel(pieces: Json): Json {
  const vocab: Record<string, number> = { '<unk>': 0 };
  for (const word of ['a', 'aa', 'aaa', '!', 'b', 'hello', 'world', ' ', 'x', '-']) vocab[word] = Object.keys(vocab).length;
  return {
    version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
    ...pieces,
  };
}

function write(name: string, json: Json): string {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

/** The library itself on the same file, as HuggingFaceTokenizer configures it (no special tokens added). */
function reference(json: Json): { encode: (text: string) => number[]; decode: (ids: number[]) => string } {
  const tok = new LibraryTokenizer(json, {});
  return {
    encode: (text) => tok.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tok.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
  };
}

const EVIL = 'a'.repeat(60) + '!';

describe('tokenizer.json regexes under a budget', () => {
  it('a catastrophically backtracking Split pattern is an error naming the file, the component and the pattern', () => {
    const path = write('evil.json', wordLevel({ pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated', invert: false } }));
    const tok = HuggingFaceTokenizer.fromFile(path, { baseMs: 300, perCharMs: 0 });
    expect(() => tok.encode(EVIL)).toThrow(TokenizerError);
    expect(() => tok.encode(EVIL)).toThrow(new RegExp(
      `^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: pre_tokenizer \\(Split\\) pattern /\\(a\\+\\)\\+\\$/ did not finish within 300 ms on a 61-character text \\(it backtracks catastrophically on this input\\); fix or replace the tokenizer file$`));
    // The worker was replaced: the same tokenizer still serves inputs the pattern handles quickly.
    expect(tok.encode('aaa')).toEqual(reference(JSON.parse(readFileSync(path, 'utf8'))).encode('aaa'));
  });

  it('inside a Sequence, in a normalizer and in a decoder too', () => {
    const cases: [string, Json, 'encode' | 'decode', RegExp][] = [
      ['seq.json', wordLevel({ pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Split', pattern: { Regex: '(a|aa)+$' }, behavior: 'Removed', invert: false }] } }),
        'encode', /: pre_tokenizer\.pretokenizers\[1\] \(Split\) pattern \/\(a\|aa\)\+\$\/ did not finish/],
      ['norm.json', wordLevel({ normalizer: { type: 'Replace', pattern: { Regex: '(a*)*b' }, content: 'x' } }),
        'encode', /: normalizer \(Replace\) pattern \/\(a\*\)\*b\/ did not finish/],
      ['dec.json', wordLevel({ decoder: { type: 'Sequence', decoders: [{ type: 'Fuse' }, { type: 'Replace', pattern: { Regex: '(a+)+b' }, content: '-' }] } }),
        'decode', /: decoder\.decoders\[1\] \(Replace\) pattern \/\(a\+\)\+b\/ did not finish/],
    ];
    for (const [name, json, op, message] of cases) {
      const tok = HuggingFaceTokenizer.fromFile(write(name, json), { baseMs: 200, perCharMs: 0 });
      const run = op === 'encode' ? () => tok.encode(EVIL) : () => tok.decode(new Array(40).fill(3));
      expect(run, name).toThrow(message);
    }
  });

  it('every use of a pattern (match, matchAll, split with groups, replaceAll) gives what the library gives', () => {
    const texts = ['', 'hello world', 'aaa!! b  hello\n\nworld x-x', 'a-b-c', "It's  3 o'clock !\t", '日本語 x 🦙 a'];
    const splits: Json[] = [
      { type: 'Split', pattern: { Regex: GPT2_PATTERN }, behavior: 'Isolated', invert: false },
      { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false },
      { type: 'Split', pattern: { Regex: '(-)|(x)?\\s' }, behavior: 'Removed', invert: false },
      { type: 'Split', pattern: { Regex: '\\w+|[^\\w\\s]' }, behavior: 'Removed', invert: true },
      { type: 'Split', pattern: { Regex: '(?:)' }, behavior: 'Isolated', invert: false },
    ];
    for (const split of splits) {
      const json = wordLevel({ normalizer: { type: 'Replace', pattern: { Regex: '(a)(a)' }, content: 'b' }, pre_tokenizer: split,
        decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { Regex: '^(h)' }, content: 'H' }, { type: 'Fuse' }] } });
      const ours = new HuggingFaceTokenizer(json, {}, 'inline');
      const theirs = reference(json);
      for (const text of texts) {
        expect([split.pattern, text, ours.encode(text)]).toEqual([split.pattern, text, theirs.encode(text)]);
        const ids = theirs.encode(text).filter((id) => id !== undefined);
        if (ids.length > 0) expect(ours.decode(ids)).toBe(theirs.decode(ids));
      }
    }
  });

  it.skipIf(!GPT2)('GPT-2 spelled as Split + ByteLevel tokenizes the repository\'s texts exactly as GPT-2 itself', () => {
    const gpt2 = JSON.parse(readFileSync(GPT2!, 'utf8')) as Json;
    const split = {
      ...gpt2,
      pre_tokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: GPT2_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ] },
    };
    const plain = HuggingFaceTokenizer.fromFile(GPT2!);
    const bounded = new HuggingFaceTokenizer(split, {}, 'gpt2-split');
    for (const corpus of CORPORA) {
      const text = readFileSync(corpus, 'utf8').slice(0, 50_000);
      expect(bounded.encode(text)).toEqual(plain.encode(text));
    }
  });
});
