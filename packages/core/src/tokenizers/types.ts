/** What the model needs of any tokenizer. Encoding never adds special tokens: BOS is the model's call. */
export interface Tokenizer {
  /** Where it was read from, for messages. */
  readonly source: string;
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  /** Text → token ids, without BOS/EOS. */
  encode(text: string): number[];
  /** Token ids → text. Special tokens (BOS/EOS/PAD) are dropped. */
  decode(ids: number[]): string;
  /**
   * The text of one token as TransformerLens' to_str_tokens shows it (decoded on its own;
   * `previous` lets tokenizers with context rules, like llama2.c's space after BOS, apply them).
   */
  tokenToString(id: number, previous?: number): string;
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}
