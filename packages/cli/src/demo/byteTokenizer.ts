import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Id of <|endoftext|> in the byte tokenizer: after the 256 byte tokens. */
export const BYTE_TOKENIZER_VOCAB = 257;

/**
 * Writes a Hugging Face tokenizer.json for byte-level BPE with no merges: every byte is a token
 * (GPT-2's byte-to-unicode alphabet) plus <|endoftext|> as BOS/EOS. Any text round-trips, so the
 * offline demo can take --prompt without shipping a real vocabulary.
 */
export function writeByteTokenizer(dir: string): string {
  const vocab: Record<string, number> = {};
  byteAlphabet().forEach((char, byte) => { vocab[char] = byte; });
  const endOfText = '<|endoftext|>';
  vocab[endOfText] = 256;
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 256, content: endOfText, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, JSON.stringify(tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: endOfText, eos_token: endOfText, unk_token: endOfText }));
  return path;
}

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to code points from 256 up. */
function byteAlphabet(): string[] {
  const printable = (byte: number) => (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  let next = 256;
  return Array.from({ length: 256 }, (_, byte) => String.fromCodePoint(printable(byte) ? byte : next++));
}
