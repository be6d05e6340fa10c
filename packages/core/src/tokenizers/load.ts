import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HuggingFaceTokenizer } from './huggingface.ts';
import { Llama2cTokenizer } from './llama2c.ts';
import { type Tokenizer, TokenizerError } from './types.ts';

export interface LoadTokenizerOptions {
  /**
   * The model's vocab size. A llama2.c tokenizer.bin does not store its size, so it is checked
   * against this (mismatch → TokenizerError). Not checked for tokenizer.json: HF models often pad
   * their embedding past the tokenizer's vocab.
   */
  vocabSize?: number;
}

const SUPPORTED =
  'supported: a Hugging Face tokenizer.json (or any *.json file in that format), a directory containing ' +
  'tokenizer.json, a llama2.c tokenizer .bin, or a directory containing one tokenizer.bin / tok*.bin';

/**
 * Load a tokenizer from `path`: a tokenizer.json (tokenizer_config.json beside it is read too), a
 * directory containing tokenizer.json, else a directory with tokenizer.bin or a single tok*.bin,
 * or a llama2.c tokenizer .bin file. Anything else → TokenizerError naming the path.
 */
export function loadTokenizer(path: string, options: LoadTokenizerOptions = {}): Tokenizer {
  if (!existsSync(path)) throw new TokenizerError(`${path}: no such file or directory (${SUPPORTED})`);
  const stat = statSync(path);
  if (stat.isDirectory()) return loadFromDirectory(path, options);
  const name = basename(path).toLowerCase();
  if (name.endsWith('.json')) return HuggingFaceTokenizer.fromFile(path);
  if (name.endsWith('.bin')) return Llama2cTokenizer.fromFile(path, options);
  throw new TokenizerError(`${path}: unrecognised tokenizer file (${SUPPORTED})`);
}

function loadFromDirectory(dir: string, options: LoadTokenizerOptions): Tokenizer {
  const json = join(dir, 'tokenizer.json');
  if (existsSync(json)) return HuggingFaceTokenizer.fromFile(json);
  const bin = join(dir, 'tokenizer.bin');
  if (existsSync(bin)) return Llama2cTokenizer.fromFile(bin, options);
  const toks = readdirSync(dir)
    .filter((f) => /^tok.*\.bin$/i.test(f))
    .sort();
  if (toks.length === 1) return Llama2cTokenizer.fromFile(join(dir, toks[0]), options);
  if (toks.length > 1) {
    throw new TokenizerError(`${dir}: several candidate tokenizers (${toks.join(', ')}); pass the file itself`);
  }
  throw new TokenizerError(`${dir}: no tokenizer.json, tokenizer.bin or tok*.bin in this directory (${SUPPORTED})`);
}
