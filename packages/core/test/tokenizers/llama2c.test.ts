import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { standardEntries, writeTokenizerBin } from '../../../../test/fixtures/llama2cTokenizer.ts';
import { TEST_MODELS } from '../../../../test/fixtures/testModels.ts';
import { Llama2cTokenizer, TokenizerError, loadTokenizer } from '../../src/tokenizers/index.ts';

const TOK512 = TEST_MODELS.stories260K?.tokenizer ?? '';

const tmp = mkdtempSync(join(tmpdir(), 'hooklens-llama2c-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * An independent, literal port of llama2.c run.c encode() (without BOS/EOS): quadratic, string based.
 * Used only as a reference for the real implementation.
 */
function referenceEncode(pieces: Uint8Array[], scores: number[], text: string): number[] {
  const keyOf = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  const sorted = new Map<string, number>();
  pieces.forEach((p, i) => {
    if (!sorted.has(keyOf(p))) sorted.set(keyOf(p), i);
  });
  const lookup = (s: string) => sorted.get(s) ?? -1;
  const tokens: number[] = [];
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 0) tokens.push(lookup(' '));
  let buf: number[] = [];
  for (let c = 0; c < bytes.length; c++) {
    if ((bytes[c] & 0xc0) !== 0x80) buf = [];
    buf.push(bytes[c]);
    if (c + 1 < bytes.length && (bytes[c + 1] & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = lookup(Buffer.from(buf).toString('latin1'));
    if (id !== -1) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let bestScore = Math.fround(-1e10);
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup(keyOf(pieces[tokens[i]]) + keyOf(pieces[tokens[i + 1]]));
      if (id !== -1 && scores[id] > bestScore) {
        bestScore = scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

describe('llama2.c tokenizer, hand-built vocab', () => {
  // ids: 259 " ", 260 "a", 261 "b", 262 "c", 263 "aa", 264 "ab", 265 " a", 266 "aab", 267 "cc", 268 "bc"
  const extra: [string, number][] = [
    [' ', -50],
    ['a', -50],
    ['b', -50],
    ['c', -50],
    ['aa', -3],
    ['ab', -1],
    [' a', -2],
    ['aab', -0.5],
    ['cc', -4],
    ['bc', -2e10], // below run.c's starting best score of -1e10: never merged
  ];
  const path = writeTokenizerBin(join(tmp, 'hand.bin'), standardEntries(extra), 16);
  const tok = Llama2cTokenizer.fromFile(path);
  const pieces = standardEntries(extra).map(([p]) => new Uint8Array(Buffer.from(p, 'utf8')));
  const scores = standardEntries(extra).map(([, s]) => Math.fround(s));

  it('reads the entries to EOF', () => {
    expect(tok.vocabSize).toBe(269);
    expect(tok.maxTokenLength).toBe(16);
    expect(tok.bosTokenId).toBe(1);
    expect(tok.eosTokenId).toBe(2);
    expect(tok.padTokenId).toBeUndefined();
    expect(tok.piece(266)).toBe('aab');
    expect(tok.score(264)).toBe(-1);
  });

  it('merges the highest-scoring pair first (derived by hand)', () => {
    // [" ","a","a","b"]: pairs " a"(-2) "aa"(-3) "ab"(-1) → "ab"; [" ","a","ab"]: " a"(-2) "aab"(-0.5) → "aab";
    // [" ","aab"]: " aab" not in vocab → done.
    expect(tok.encode('aab')).toEqual([259, 266]);
    // [" ","a","a","a"]: " a"(-2) beats "aa"(-3) → [" a","a","a"]; " aa" absent, "aa"(-3) → [" a","aa"].
    expect(tok.encode('aaa')).toEqual([265, 263]);
  });

  it('breaks score ties by taking the leftmost pair', () => {
    // [" ","c","c","c"]: both "cc" pairs score -4; the leftmost merges → [" ","cc","c"].
    expect(tok.encode('ccc')).toEqual([259, 267, 262]);
  });

  it('never merges pairs scoring at or below -1e10', () => {
    expect(tok.encode('bc')).toEqual([259, 261, 262]);
  });

  it('falls back to byte tokens (byte + 3) for characters not in the vocab, and decodes them back', () => {
    // "é" = C3 A9 → 0xC3+3 = 198, 0xA9+3 = 172. [" ","a",198,172] → " a" merges.
    const ids = tok.encode('aé');
    expect(ids).toEqual([265, 198, 172]);
    expect(tok.decode(ids)).toBe('aé');
  });

  it('encodes the empty string to []', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
  });

  it('agrees with a literal port of run.c encode on many strings', () => {
    const alphabet = ['a', 'b', 'c', ' ', 'é', 'x'];
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 400; n++) {
      const len = Math.floor(rand() * 12);
      let s = '';
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rand() * alphabet.length)];
      expect(tok.encode(s), JSON.stringify(s)).toEqual(referenceEncode(pieces, scores, s));
      expect(tok.decode(tok.encode(s)), JSON.stringify(s)).toBe(s);
    }
  });

  it('drops the leading space of the piece after BOS / at the start, as run.c decode()', () => {
    expect(tok.tokenToString(265)).toBe('a'); // start of sequence = after BOS
    expect(tok.tokenToString(265, 1)).toBe('a');
    expect(tok.tokenToString(265, 260)).toBe(' a');
    expect(tok.tokenToString(259, 260)).toBe(' ');
    expect(tok.decode([265, 265])).toBe('a a');
    expect(tok.decode([1, 265, 265, 2])).toBe('a a');
    expect(tok.decode([260, 1, 265])).toBe('aa'); // after a BOS mid-sequence too
    expect(tok.decode([260, 2, 265])).toBe('a a'); // EOS is dropped but does not strip
    expect(tok.tokenToString(1)).toBe('<s>');
    expect(tok.tokenToString(2)).toBe('</s>');
    expect(tok.tokenToString(0)).toBe('<unk>');
    // A lone byte token of a multi-byte character is not valid UTF-8 on its own.
    expect(tok.tokenToString(0xc3 + 3)).toBe('\uFFFD');
    expect(tok.tokenToString(0x41 + 3)).toBe('A');
  });

  it('rejects ids out of range', () => {
    expect(() => tok.decode([269])).toThrow(TokenizerError);
    expect(() => tok.tokenToString(-1)).toThrow(TokenizerError);
  });

  it('needs the byte token for a byte fallback', () => {
    const small = Llama2cTokenizer.fromFile(
      writeTokenizerBin(join(tmp, 'small.bin'), [['<unk>', 0], ['\n<s>\n', 0], ['\n</s>\n', 0], [' ', 0], ['a', 0]]),
    );
    expect(small.encode('aa')).toEqual([3, 4, 4]);
    expect(() => small.encode('b')).toThrow(/byte 0x62 needs byte fallback/);
  });
});

describe('llama2.c tokenizer file validation', () => {
  it('names the file and both sizes on a vocabSize mismatch', () => {
    const p = writeTokenizerBin(join(tmp, 'mismatch.bin'), standardEntries([]));
    expect(() => loadTokenizer(p, { vocabSize: 300 })).toThrow(TokenizerError);
    expect(() => loadTokenizer(p, { vocabSize: 300 })).toThrow(/mismatch\.bin.*259 tokens.*300/);
    expect(loadTokenizer(p, { vocabSize: 259 }).vocabSize).toBe(259);
  });

  it('rejects a truncated file, naming it', () => {
    const full = readFileSync(writeTokenizerBin(join(tmp, 'full.bin'), standardEntries([[' hello', -1]])));
    for (const cut of [1, 3, 7, 9]) {
      const p = join(tmp, `truncated${cut}.bin`);
      writeFileSync(p, full.subarray(0, full.length - cut));
      expect(() => loadTokenizer(p)).toThrow(new RegExp(`truncated${cut}\\.bin: not a llama2.c tokenizer.bin \\(truncated`));
    }
  });

  it('rejects an implausible max_token_length header', () => {
    const p = join(tmp, 'header.bin');
    const b = Buffer.alloc(12);
    b.writeInt32LE(100000, 0);
    writeFileSync(p, b);
    expect(() => loadTokenizer(p)).toThrow(/header\.bin: not a llama2.c tokenizer.bin \(max_token_length 100000/);
    writeFileSync(p, Buffer.alloc(2));
    expect(() => loadTokenizer(p)).toThrow(/header\.bin: not a llama2.c tokenizer.bin/);
  });

  it('rejects a piece longer than max_token_length', () => {
    const p = writeTokenizerBin(join(tmp, 'long.bin'), [['ab', 0], ['abcdef', 0]], 3);
    expect(() => loadTokenizer(p)).toThrow(/long\.bin: not a llama2.c tokenizer.bin \(token 1 has length 6/);
  });

  it('rejects a missing file, naming it', () => {
    expect(() => Llama2cTokenizer.fromFile(join(tmp, 'nope.bin'))).toThrow(/nope\.bin/);
    expect(() => loadTokenizer(join(tmp, 'nope.bin'))).toThrow(/nope\.bin: no such file/);
  });
});

describe.skipIf(!TEST_MODELS.stories260K)('llama2.c tok512.bin (stories260K)', () => {
  const load = () => loadTokenizer(TOK512, { vocabSize: 512 }) as Llama2cTokenizer;

  it('loads 512 tokens with the llama2.c special pieces', () => {
    const tok = load();
    expect(tok).toBeInstanceOf(Llama2cTokenizer);
    expect(tok.vocabSize).toBe(512);
    expect(tok.piece(0)).toBe('<unk>');
    expect(tok.piece(1)).toBe('\n<s>\n');
    expect(tok.piece(3)).toBe('<0x00>');
    expect(tok.piece(258)).toBe('<0xFF>');
    expect(() => loadTokenizer(TOK512, { vocabSize: 32000 })).toThrow(/tok512\.bin.*512.*32000/);
  });

  it('encodes "Once upon a time" and decodes it back', () => {
    const tok = load();
    const ids = tok.encode('Once upon a time');
    expect(ids.map((id) => tok.piece(id))).toEqual([' Once', ' upon', ' a', ' time']);
    expect(tok.decode(ids)).toBe('Once upon a time');
    expect(tok.decode([1, ...ids, 2])).toBe('Once upon a time');
    expect(ids.map((id, i) => tok.tokenToString(id, i === 0 ? 1 : ids[i - 1]))).toEqual(['Once', ' upon', ' a', ' time']);
  });

  it('round-trips characters outside the vocab through byte fallback', () => {
    const tok = load();
    for (const s of ['🦙', 'a 🦙 b', 'naïve café — ok', 'Lily said: "Hi!"\nTom smiled. 日本']) {
      const ids = tok.encode(s);
      expect(tok.decode(ids), s).toBe(s);
    }
    const llama = tok.encode('🦙');
    // " " then F0 9F A6 99 as byte tokens (byte + 3); none of the pairs merge.
    expect(llama.slice(-4)).toEqual([0xf0 + 3, 0x9f + 3, 0xa6 + 3, 0x99 + 3]);
  });

  it('encodes the empty string to []', () => {
    expect(load().encode('')).toEqual([]);
  });

  it('agrees with a literal port of run.c encode', () => {
    const tok = load();
    const bytes = readFileSync(TOK512);
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let pos = 4;
    while (pos < bytes.length) {
      scores.push(bytes.readFloatLE(pos));
      const len = bytes.readInt32LE(pos + 4);
      pieces.push(new Uint8Array(bytes.subarray(pos + 8, pos + 8 + len)));
      pos += 8 + len;
    }
    const texts = [
      'Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine.',
      'One day, Tim and his mom went to the park. "Look!" said Tim. They were very happy.',
      '  leading and   multiple spaces  ',
      'The end.\n\nAnother story: 123 + 456 = 579 €',
      'aaaaaaaaaaaaaaaaaaaa bbbbbbbbbb the the the',
    ];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const chars = 'abcdefghijklmnopqrstuvwxyz  ,.!TLOé\n';
    for (let n = 0; n < 200; n++) {
      let s = '';
      const len = Math.floor(rand() * 40);
      for (let k = 0; k < len; k++) s += chars[Math.floor(rand() * chars.length)];
      texts.push(s);
    }
    for (const s of texts) {
      const ids = tok.encode(s);
      expect(ids, JSON.stringify(s)).toEqual(referenceEncode(pieces, scores, s));
      expect(tok.decode(ids), JSON.stringify(s)).toBe(s);
    }
  });

  it('encodes long text efficiently', () => {
    const tok = load();
    const text = 'Once upon a time, there was a little girl named Lily. '.repeat(2000);
    const t0 = performance.now();
    const ids = tok.encode(text);
    const ms = performance.now() - t0;
    expect(tok.decode(ids)).toBe(text);
    expect(ms).toBeLessThan(5000);
  });
});
