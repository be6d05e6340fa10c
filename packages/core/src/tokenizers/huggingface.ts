/**
 * Hugging Face `tokenizer.json` (plus `tokenizer_config.json` beside it, if present), through
 * the pure-TS `@huggingface/tokenizers`.
 *
 * - encode: `add_special_tokens: false` (no BOS/EOS/template tokens; BOS is the model's call).
 * - decode: `skip_special_tokens: true` (and BOS/EOS/PAD ids are dropped even if the file does not
 *   mark them special), `clean_up_tokenization_spaces: false` as TransformerLens' `to_string`
 *   does, so decode(encode(text)) === text for byte-level BPE.
 * - tokenToString(id) = decode([id]) without skipping special tokens or cleaning up spaces, as
 *   TransformerLens' `to_str_tokens` (`batch_decode(..., clean_up_tokenization_spaces=False)`):
 *   GPT-2's " Mary" keeps its space, <|endoftext|> shows as itself. `previous` is ignored.
 * - bos/eos/pad: from tokenizer_config.json (`bos_token` etc., a string or {content}); when it is
 *   absent or names none, from the added tokens of tokenizer.json by their conventional names
 *   (GPT-2: <|endoftext|> = 50256 is both BOS and EOS; no PAD).
 * - vocabSize: the model vocab including added tokens (highest id + 1).
 * - regexes written in the file run under a time budget (boundedPatterns.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { boundFilePatterns, DEFAULT_REGEX_BUDGET, type RegexBudget } from './boundedPatterns.ts';
import { type Tokenizer, TokenizerError } from './types.ts';

type Json = Record<string, unknown>;

const BOS_NAMES = ['<s>', '<|begin_of_text|>', '<bos>', '<|startoftext|>', '<|im_start|>', '[CLS]', '<|endoftext|>'];
const EOS_NAMES = ['</s>', '<|end_of_text|>', '<eos>', '<|endoftext|>', '<|im_end|>', '[SEP]'];
const PAD_NAMES = ['<pad>', '[PAD]', '<|pad|>', '<|padding|>', '<|finetune_right_pad_id|>'];

function readJson(path: string, what: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TokenizerError(`${path}: cannot read ${what}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${path}: malformed JSON in ${what}: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenizerError(`${path}: ${what} must be a JSON object`);
  }
  return value as Json;
}

/** A special-token entry of tokenizer_config.json: "<s>" or { "content": "<s>", ... }. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

export class HuggingFaceTokenizer implements Tokenizer {
  readonly source: string;
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  readonly unkTokenId: number | undefined;
  private readonly tok: HFTokenizer;
  private readonly vocab: string[];
  private readonly dropped: Set<number>;

  /**
   * @param tokenizerJson parsed tokenizer.json
   * @param config parsed tokenizer_config.json, or {} when there is none
   * @param regexBudget how long each use of a regex pattern written in the file may take
   */
  constructor(tokenizerJson: Json, config: Json, source: string, regexBudget: RegexBudget = DEFAULT_REGEX_BUDGET) {
    this.source = source;
    if (!tokenizerJson.model || typeof tokenizerJson.model !== 'object') {
      throw new TokenizerError(`${source}: not a Hugging Face tokenizer.json (no "model" object)`);
    }
    // The library insists on these keys; older files may leave some out.
    const json: Json = { ...tokenizerJson };
    for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
      if (!(key in json)) json[key] = null;
    }
    if (!Array.isArray(json.added_tokens)) json.added_tokens = [];
    try {
      this.tok = new HFTokenizer(json, config);
    } catch (e) {
      throw new TokenizerError(`${source}: @huggingface/tokenizers cannot load it: ${(e as Error).message}`);
    }
    boundFilePatterns(this.tok, source, regexBudget);
    const model = this.tok.model;
    if (!model) throw new TokenizerError(`${source}: tokenizer.json has no model`);
    this.vocab = model.vocab;
    this.vocabSize = model.vocab.length;

    const added = (json.added_tokens as Json[]).filter(
      (t) => typeof t.content === 'string' && typeof t.id === 'number',
    ) as { content: string; id: number; special?: boolean }[];
    const idOf = (content: string | undefined): number | undefined =>
      content === undefined ? undefined : this.tok.token_to_id(content);
    const byName = (names: string[]): number | undefined => {
      for (const name of names) {
        const t = added.find((a) => a.content === name);
        if (t) return t.id;
      }
      return undefined;
    };
    this.bosTokenId = idOf(tokenContent(config.bos_token)) ?? byName(BOS_NAMES);
    this.eosTokenId = idOf(tokenContent(config.eos_token)) ?? byName(EOS_NAMES);
    this.padTokenId = idOf(tokenContent(config.pad_token)) ?? byName(PAD_NAMES);
    // The model's own unknown token only: tokenizer_config's unk_token may name one encode never
    // emits (GPT-2 names <|endoftext|>).
    this.unkTokenId = model.unk_token_id ?? undefined;
    this.dropped = new Set(
      [this.bosTokenId, this.eosTokenId, this.padTokenId].filter((x): x is number => x !== undefined),
    );
  }

  /** Read a tokenizer.json, and tokenizer_config.json from the same directory if it exists. */
  static fromFile(path: string, regexBudget?: RegexBudget): HuggingFaceTokenizer {
    if (!existsSync(path)) throw new TokenizerError(`${path}: tokenizer file does not exist`);
    const json = readJson(path, 'tokenizer.json');
    const configPath = join(dirname(path), 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJson(configPath, 'tokenizer_config.json') : {};
    return new HuggingFaceTokenizer(json, config, path, regexBudget);
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize || this.vocab[id] === undefined) {
      throw new TokenizerError(`${this.source}: token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
    }
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  unknownText(text: string): string[] {
    if (this.unkTokenId === undefined || text.length === 0) return [];
    const { ids, tokens } = this.tok.encode(text, { add_special_tokens: false });
    const unkPiece = this.vocab[this.unkTokenId];
    // WordLevel keeps the word it could not find as the token's text; BPE and WordPiece put the unknown piece itself.
    return ids.flatMap((id, index) => (id === this.unkTokenId ? [tokens[index] === unkPiece ? '' : tokens[index]] : []));
  }

  decode(ids: number[]): string {
    for (const id of ids) this.check(id);
    const kept = ids.filter((id) => !this.dropped.has(id));
    if (kept.length === 0) return '';
    return this.tok.decode(kept, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  tokenToString(id: number, _previous?: number): string {
    this.check(id);
    return this.tok.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}
