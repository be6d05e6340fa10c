import type { HookedTransformer } from '@hooklens/core';

export class ToolInputError extends Error {
  override name = 'ToolInputError';
}

/**
 * A token given by a person: `#ID` (an id) or text that must encode to exactly one token.
 * `what` names the argument in errors ("answer", "target").
 */
export function resolveToken(model: HookedTransformer, token: string | number, what = 'token'): number {
  if (typeof token === 'number' || /^#\d+$/.test(token)) {
    const id = typeof token === 'number' ? token : Number(token.slice(1));
    if (!Number.isInteger(id) || id < 0 || id >= model.config.dVocab) throw new ToolInputError(`${what} id ${id} is out of range [0, ${model.config.dVocab})`);
    return id;
  }
  if (token === '') throw new ToolInputError(`${what} is empty`);
  const ids = model.toTokens(token, { prependBos: false });
  if (ids.length !== 1 && token.startsWith(' ')) {
    // SentencePiece-style tokenizers (llama2.c) add the leading space themselves: " girl"
    // is the token that "girl" encodes to, and shows as " girl" in the middle of a text.
    const unspaced = model.toTokens(token.slice(1), { prependBos: false });
    if (unspaced.length === 1 && model.toSingleStrToken(unspaced[0]) === token) return unspaced[0];
  }
  if (ids.length !== 1) {
    const pieces = model.toStrTokens(ids).map((piece) => JSON.stringify(piece)).join(', ');
    throw new ToolInputError(`${what} ${JSON.stringify(token)} is ${ids.length} tokens (${pieces}), not one; give a single token or #ID`);
  }
  return ids[0];
}

/** A prompt's token ids, with a clear error for an empty prompt. */
export function promptTokens(model: HookedTransformer, prompt: string, options: { prependBos?: boolean } = {}, what = 'prompt'): number[] {
  if (prompt.trim() === '' ) throw new ToolInputError(`${what} is empty`);
  return model.toTokens(prompt, options);
}
