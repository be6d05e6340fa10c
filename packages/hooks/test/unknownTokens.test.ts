/**
 * No silent <unk>: a token argument is exactly one token the model knows, else an error naming
 * the text, the model and the nearest known tokens; prompts may hold unknown words, and
 * unknownTokens says where. Covers the three kinds of vocabulary: word-level with <unk> (the
 * shipped toy-ioi), byte-level BPE with no unknown token, and llama2.c with byte fallback.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HookedTransformer, HuggingFaceTokenizer, initBackend, Llama2cTokenizer, loadModel } from '@hooklens/core';
import type { Tokenizer } from '@hooklens/core';
import { randomWeights, tinyConfig } from '@hooklens/core/testing';
import { resolveToken, unknownTokens, ToolInputError } from '../src/index.ts';
import { TEST_MODELS } from '../../../test/fixtures/testModels.ts';

const TOY_IOI = fileURLToPath(new URL('../../core/models/toy-ioi', import.meta.url));
const GPT2 = TEST_MODELS.gpt2TokenizerDir ? join(TEST_MODELS.gpt2TokenizerDir, 'tokenizer.json') : '';

beforeAll(async () => { await initBackend(); });

/** A small random model around `tokenizer`, named by `source` as a loaded checkpoint would be. */
function modelWith(tokenizer: Tokenizer, source: string): HookedTransformer {
  const config = tinyConfig({ dVocab: tokenizer.vocabSize, dModel: 8, dHead: 2, dMlp: 8, nLayers: 1 });
  return new HookedTransformer(config, randomWeights(config), { tokenizer, source });
}

/** The error message resolveToken throws, or a failure when it returns. */
function refusal(model: HookedTransformer, token: string, what: string): string {
  try {
    const id = resolveToken(model, token, what);
    throw new Error(`resolveToken(${JSON.stringify(token)}) returned ${id}`);
  } catch (error) {
    expect(error).toBeInstanceOf(ToolInputError);
    return (error as Error).message;
  }
}

describe('resolveToken and unknownTokens on a word-level vocabulary with <unk> (toy-ioi)', () => {
  let model: HookedTransformer;
  // The vocabulary as the file lists it, read independently of the tokenizer code.
  const vocab = (JSON.parse(readFileSync(join(TOY_IOI, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  beforeAll(async () => { model = await loadModel(TOY_IOI); });
  afterAll(() => model.dispose());

  it('resolves a word the vocabulary has to its id', () => {
    expect(resolveToken(model, 'Mary', 'answer')).toBe(vocab.Mary);
    expect(resolveToken(model, `#${vocab.John}`, 'wrong')).toBe(vocab.John);
  });

  it('refuses a word it lacks, naming the word, the model and the nearest names it knows', () => {
    const message = refusal(model, 'Marie', 'answer');
    expect(message).toMatch(/^answer "Marie" is not a token of toy-ioi/);
    // By hand: "Mary" and "Mark" are 2 edits from "Marie" (i→y/k, drop e), every other word at least 3;
    // the two tie, so they come in vocabulary order.
    expect(message).toMatch(/nearest tokens it knows: "Mary", "Mark", /);
  });

  it('refuses <unk> itself, by #ID or by text, and text of several words, naming each unknown one', () => {
    expect(refusal(model, `#${vocab['<unk>']}`, 'target')).toMatch(/^target #3 is "<unk>", the unknown token of toy-ioi/);
    expect(refusal(model, '<unk>', 'target')).toMatch(/^target "<unk>" is not a token of toy-ioi/);
    expect(refusal(model, 'Mary Zorglub', 'answer')).toMatch(/^answer "Mary Zorglub" is 2 tokens of toy-ioi \("Mary", "Zorglub" \(unknown\); the nearest single tokens it knows: .*\), not one; give a single token or #ID$/);
  });

  it('finds the unknown words of a prompt with their positions (BOS first)', () => {
    const text = 'When Marie and John went to the Zorglub';
    const ids = model.toTokens(text);
    expect(ids[0]).toBe(vocab['<bos>']);
    expect(unknownTokens(model, ids, text)).toEqual([{ position: 2, text: 'Marie' }, { position: 8, text: 'Zorglub' }]);
    // Without the text, the positions only; a prompt it knows has none.
    expect(unknownTokens(model, ids)).toEqual([{ position: 2, text: '' }, { position: 8, text: '' }]);
    expect(unknownTokens(model, model.toTokens('When Mary and John went to the store'))).toEqual([]);
  });
});

describe('resolveToken on a byte-level BPE vocabulary (no unknown token: every text is some tokens)', () => {
  let dir: string;
  let model: HookedTransformer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hooklens-bpe-'));
    // The 95 printable ASCII bytes as themselves, 'Ġ' for the space byte (GPT-2's alphabet), and
    // merges that build " Mary" (and " Mar" on the way) but nothing else.
    const vocab: Record<string, number> = {};
    for (let byte = 33; byte <= 126; byte++) vocab[String.fromCharCode(byte)] = Object.keys(vocab).length;
    for (const piece of ['Ġ', 'ĠM', 'ar', 'ĠMar', 'ĠMary']) vocab[piece] = Object.keys(vocab).length;
    const json = {
      version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }, post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: ['Ġ M', 'a r', 'ĠM ar', 'ĠMar y'] },
    };
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    model = modelWith(HuggingFaceTokenizer.fromFile(join(dir, 'tokenizer.json')), join(dir, 'tiny-bpe.safetensors'));
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no unknown token, so prompts never hold one', () => {
    expect(model.tokenizer!.unkTokenId).toBeUndefined();
    expect(unknownTokens(model, model.toTokens('Zorglub and Marie'), 'Zorglub and Marie')).toEqual([]);
  });

  it('resolves one token and refuses several, naming the pieces and the nearest single tokens', () => {
    expect(model.toStrTokens([resolveToken(model, ' Mary')])).toEqual([' Mary']);
    const message = refusal(model, ' Marie', 'answer');
    // " Mar" and " Mary" are each 2 edits from " Marie"; every other token is at least 4.
    expect(message).toMatch(/^answer " Marie" is 3 tokens of tiny-bpe \(" Mar", "i", "e"; the nearest single tokens it knows: " Mar", " Mary", "[^"]*"\), not one; give a single token or #ID$/);
  });
});

describe('resolveToken on a llama2.c vocabulary (token 0 is <unk>; unknown characters fall back to bytes)', () => {
  const bytes = Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
  const pieces = ['<unk>', '\n<s>\n', '\n</s>\n', ...bytes, ' ', 'L', 'i', 'l', 'y', 'Li', 'ly', ' Li', ' Lily'];
  const tokenizer = new Llama2cTokenizer(
    { maxTokenLength: 8, pieces: pieces.map((piece) => new TextEncoder().encode(piece)), scores: Float32Array.from(pieces, (_, id) => (id > 258 ? id : 0)) },
    'tok.bin',
  );
  let model: HookedTransformer;
  beforeAll(() => { model = modelWith(tokenizer, '/models/tiny-llama2c.bin'); });
  afterAll(() => model.dispose());

  it('never reads a prompt as <unk>, and refuses #0, which is', () => {
    expect(tokenizer.unkTokenId).toBe(0);
    const text = 'Lily é';
    expect(unknownTokens(model, model.toTokens(text, { prependBos: false }), text)).toEqual([]);
    expect(resolveToken(model, ' Lily')).toBe(pieces.indexOf(' Lily'));
    expect(refusal(model, '#0', 'answer')).toMatch(/^answer #0 is "<unk>", the unknown token of tiny-llama2c/);
  });
});

describe.skipIf(!GPT2)('resolveToken on the GPT-2 tokenizer (50257 tokens)', () => {
  it('names the pieces of a word it spells in several tokens and suggests near single tokens', () => {
    const model = modelWith(HuggingFaceTokenizer.fromFile(GPT2), '/hub/models--openai-community--gpt2/snapshots/abc/model.safetensors'.replace('/model.safetensors', ''));
    try {
      const started = performance.now();
      const message = refusal(model, ' Zorglub', 'target');
      const first = performance.now() - started;
      expect(message).toMatch(/^target " Zorglub" is \d tokens of openai-community\/gpt2 \(" Z", /);
      expect(message).toMatch(/; the nearest single tokens it knows: "[^"]+", "[^"]+", "[^"]+"\), not one; give a single token or #ID$/);
      const again = performance.now();
      refusal(model, ' Marie Curie', 'target');
      console.log(`GPT-2 vocabulary: first refusal (lists the vocabulary) ${first.toFixed(0)} ms, next ${(performance.now() - again).toFixed(0)} ms`);
      expect(resolveToken(model, ' Mary')).toBe(model.toTokens(' Mary', { prependBos: false })[0]);
    } finally {
      model.dispose();
    }
  });
});
