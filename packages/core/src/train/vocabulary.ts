/**
 * Vocabularies for the synthetic training tasks, written as real Hugging Face
 * tokenizer.json files so `loadTokenizer` / `loadModel` read them back with no special code:
 *  - word level: a `WordLevel` model after the `Whitespace` pre-tokenizer (words and runs of
 *    punctuation are tokens: "store," → "store" ","); decoding joins tokens with spaces;
 *  - character level: a `BPE` model with one token per character and no merges, so every
 *    character is its own token and decoding concatenates them.
 * Ids 0-3 are always <bos>, <eos>, <pad>, <unk>; tokenizer_config.json names them, which is also
 * where @huggingface/tokenizers' word-level model finds its unknown token.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomicWrite.ts';

export const SPECIAL_TOKENS = ['<bos>', '<eos>', '<pad>', '<unk>'] as const;
export const BOS_ID = 0;
export const EOS_ID = 1;
export const PAD_ID = 2;
export const UNK_ID = 3;

export interface Vocabulary {
  /** Every token by id, specials first. */
  readonly tokens: readonly string[];
  readonly size: number;
  /** The id of a token; throws for one not in the vocabulary. */
  id(token: string): number;
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
}

function vocabulary(kind: 'word' | 'char', entries: readonly string[]): Vocabulary {
  const tokens = [...SPECIAL_TOKENS, ...new Set(entries)];
  if (tokens.length !== SPECIAL_TOKENS.length + entries.length) throw new Error(`${kind} vocabulary has duplicate entries`);
  const ids = new Map(tokens.map((token, id) => [token, id]));
  const vocab = Object.fromEntries(ids);
  const added = SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const model = kind === 'word'
    ? { type: 'WordLevel', vocab, unk_token: '<unk>' }
    : { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] };
  const tokenizerJson = {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: kind === 'word' ? { type: 'Whitespace' } : null,
    post_processor: null,
    decoder: kind === 'word' ? null : { type: 'Fuse' },
    model,
  };
  const tokenizerConfig = { bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>', tokenizer_class: 'PreTrainedTokenizerFast' };
  return {
    tokens, size: tokens.length, tokenizerJson, tokenizerConfig,
    id(token) {
      const id = ids.get(token);
      if (id === undefined) throw new Error(`token '${token}' is not in the ${kind}-level vocabulary`);
      return id;
    },
  };
}

/** Word-level vocabulary: each entry must be a run of word characters or of punctuation. */
export function wordVocabulary(words: readonly string[]): Vocabulary {
  const bad = words.find((word) => !/^(\w+|[^\w\s]+)$/.test(word));
  if (bad !== undefined) throw new Error(`'${bad}' cannot be one word-level token (a token is letters/digits/_ or punctuation, not both)`);
  return vocabulary('word', words);
}

/** Character-level vocabulary over `chars` (each a single character). */
export function charVocabulary(chars: readonly string[]): Vocabulary {
  const bad = chars.find((c) => [...c].length !== 1);
  if (bad !== undefined) throw new Error(`'${bad}' is not a single character`);
  return vocabulary('char', chars);
}

/** Writes tokenizer.json and tokenizer_config.json into `dir`. */
export function writeTokenizerFiles(dir: string, vocab: Vocabulary): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'tokenizer.json'), vocab.tokenizerJson, 1);
  writeJsonAtomic(join(dir, 'tokenizer_config.json'), vocab.tokenizerConfig, 1);
}
