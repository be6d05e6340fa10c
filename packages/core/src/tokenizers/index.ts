export { type Tokenizer, TokenizerError } from './types.ts';
export { HuggingFaceTokenizer } from './huggingface.ts';
export {
  Llama2cTokenizer,
  parseLlama2cTokenizerBin,
  type Llama2cTokenizerOptions,
  type Llama2cVocab,
} from './llama2c.ts';
export { loadTokenizer, type LoadTokenizerOptions } from './load.ts';
