/**
 * `pnpm exec tsx packages/core/bench/tokenizerRegex.ts [CHARS]`: what bounding the regexes of a
 * tokenizer.json costs (packages/core/src/tokenizers/boundedPatterns.ts). On the first CHARS
 * (default 200,000) characters of each corpus in ../shared/data, encoded whole and line by line:
 *   - the real GPT-2 tokenizer.json (ByteLevel's built-in regex, nothing from the file to bound),
 *   - GPT-2 spelled as a Split pattern + ByteLevel, as newer tokenizer.json files write it (bounded),
 * each as hooklens' HuggingFaceTokenizer against @huggingface/tokenizers used directly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tokenizer as LibraryTokenizer } from '@huggingface/tokenizers';
import { HuggingFaceTokenizer } from '../src/tokenizers/huggingface.ts';

const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const GPT2 = `${SHARED}models/gpt2-tokenizer/tokenizer.json`;
const CORPORA = ['austen.txt', 'kjv.txt'].map((name) => `${SHARED}data/${name}`);
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

if (![GPT2, ...CORPORA].every(existsSync)) {
  process.stderr.write(`tokenizer bench: needs ${GPT2} and ${CORPORA.join(', ')}\n`);
  process.exit(1);
}
const chars = Number(process.argv[2] ?? 200_000);
const gpt2 = JSON.parse(readFileSync(GPT2, 'utf8')) as Record<string, unknown>;
const split = {
  ...gpt2,
  pre_tokenizer: { type: 'Sequence', pretokenizers: [
    { type: 'Split', pattern: { Regex: GPT2_PATTERN }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
  ] },
};

type Encode = (text: string) => number[];
const library = (json: Record<string, unknown>): Encode => {
  const tok = new LibraryTokenizer(json, {});
  return (text) => tok.encode(text, { add_special_tokens: false }).ids;
};
const ours = (json: Record<string, unknown>, source: string): Encode => {
  const tok = new HuggingFaceTokenizer(json, {}, source);
  return (text) => tok.encode(text);
};

/** Median seconds of 5 runs (after one warm-up) of encoding `inputs`; checks both give the same ids. */
function time(encode: Encode, inputs: readonly string[]): { seconds: number; tokens: number } {
  let tokens = 0;
  for (const input of inputs) tokens += encode(input).length;
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    for (const input of inputs) encode(input);
    runs.push((performance.now() - start) / 1000);
  }
  return { seconds: runs.sort((a, b) => a - b)[2], tokens };
}

const say = (line: string) => process.stdout.write(`${line}\n`);
say(`tokenizer bench: first ${chars} characters of each corpus; median of 5 runs; ratio = hooklens / library (1.00 = no cost)`);
for (const [name, json] of [['gpt2 tokenizer.json (ByteLevel)', gpt2], ['gpt2 as Split + ByteLevel (bounded)', split]] as const) {
  const mine = ours(json, name);
  const theirs = library(json);
  for (const corpus of CORPORA) {
    const text = readFileSync(corpus, 'utf8').slice(0, chars);
    for (const [shape, inputs] of [['whole', [text]], ['per line', text.split('\n').filter((line) => line !== '')]] as const) {
      const a = time(mine, inputs);
      const b = time(theirs, inputs);
      if (a.tokens !== b.tokens) throw new Error(`${name} on ${corpus}: ${a.tokens} tokens against the library's ${b.tokens}`);
      const corpusName = corpus.slice(corpus.lastIndexOf('/') + 1);
      say(`${name.padEnd(36)} ${corpusName.padEnd(11)} ${shape.padEnd(8)} ${String(inputs.length).padStart(5)} encodes  ${(a.tokens / a.seconds / 1000).toFixed(0).padStart(5)}k tok/s vs ${(b.tokens / b.seconds / 1000).toFixed(0).padStart(5)}k  ratio ${(a.seconds / b.seconds).toFixed(2)}`);
    }
  }
}
