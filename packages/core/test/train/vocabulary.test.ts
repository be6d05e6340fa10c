import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/index.ts';
import { BOS_ID, charVocabulary, EOS_ID, PAD_ID, UNK_ID, wordVocabulary, writeTokenizerFiles } from '../../src/train/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'hooklens-vocab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('word-level vocabulary', () => {
  it('writes a tokenizer.json that loadTokenizer reads back, specials included', () => {
    const vocab = wordVocabulary(['When', 'Mary', 'and', 'John', 'went', 'to', 'the', 'store', ',', 'gave', 'a', 'drink']);
    writeTokenizerFiles(join(dir, 'word'), vocab);
    const tokenizer = loadTokenizer(join(dir, 'word'));
    const text = 'When Mary and John went to the store , John gave a drink to';
    const ids = tokenizer.encode(text);
    expect(ids).toEqual(text.split(' ').map((word) => vocab.id(word)));
    expect(tokenizer.decode(ids)).toBe(text);
    // Punctuation attached to a word is split off, as the Whitespace pre-tokenizer does.
    expect(tokenizer.encode('store, John')).toEqual([vocab.id('store'), vocab.id(','), vocab.id('John')]);
    expect(tokenizer.tokenToString(vocab.id('Mary'))).toBe('Mary');
    expect([tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.padTokenId]).toEqual([BOS_ID, EOS_ID, PAD_ID]);
    expect(tokenizer.vocabSize).toBe(vocab.size);
    expect(tokenizer.encode('When Bob went')).toEqual([vocab.id('When'), UNK_ID, vocab.id('went')]);
  });

  it('rejects a word that cannot be one token', () => {
    expect(() => wordVocabulary(['store,'])).toThrow(/'store,' cannot be one word-level token/);
  });
});

describe('character-level vocabulary', () => {
  it('round-trips any text over its characters, one token per character', () => {
    const text = 'Once upon a time,\nthere was  a cat — née «Zoë».';
    const vocab = charVocabulary([...new Set(text)]);
    writeTokenizerFiles(join(dir, 'char'), vocab);
    const tokenizer = loadTokenizer(join(dir, 'char', 'tokenizer.json'));
    const ids = tokenizer.encode(text);
    expect(ids).toEqual([...text].map((c) => vocab.id(c)));
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.encode('q')).toEqual([UNK_ID]);
  });
});
