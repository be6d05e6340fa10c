/** A checkpoint, tokenizer or config that cannot be read; the message names the file and the problem. */
export class LoadError extends Error {
  override name = 'LoadError';
}
