/** What the model needs of any tokenizer. Encoding never adds special tokens: BOS is the model's call. */
export interface Tokenizer {
  /** Where it was read from, for messages. */
  readonly source: string;
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  /**
   * The vocabulary's unknown token (`<unk>`): what encode gives text the vocabulary lacks, so it
   * never names a word. Undefined when there is none (byte-level BPE such as GPT-2 represents
   * every text). llama2.c vocabularies have one but encode never emits it (byte fallback).
   */
  readonly unkTokenId: number | undefined;
  /** Text → token ids, without BOS/EOS. */
  encode(text: string): number[];
  /** Token ids → text. Special tokens (BOS/EOS/PAD) are dropped. */
  decode(ids: number[]): string;
  /**
   * The text of one token as TransformerLens' to_str_tokens shows it (decoded on its own;
   * `previous` lets tokenizers with context rules, like llama2.c's space after BOS, apply them).
   */
  tokenToString(id: number, previous?: number): string;
  /**
   * For each unknown token encode(text) gives, in order, the text it stands for ('' where the
   * tokenizer cannot tell). Optional: without it, callers know the positions only.
   */
  unknownText?(text: string): string[];
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}
