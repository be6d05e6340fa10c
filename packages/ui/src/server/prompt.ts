/** Turning a request's prompt and token references into ids, with the API's error statuses. */
import type { HookedTransformer, Tokenizer } from '@hooklens/core';
import { resolveToken, unknownTokens } from '@hooklens/hooks';
import type { Prompt, TokenLabel, TokenRef, UnknownToken } from '../api/index.ts';
import { HttpError } from './httpError.ts';

/**
 * Slack over "n_ctx tokens of the longest token's text each" before a text is refused untokenized:
 * normalizers may drop characters (control characters, repeated spaces) before encoding.
 */
const TEXT_SLACK = 4;
const longestTokens = new WeakMap<Tokenizer, number>();

/** Characters in the longest token's text (computed once per tokenizer). */
function longestToken(tokenizer: Tokenizer): number {
  let longest = longestTokens.get(tokenizer);
  if (longest === undefined) {
    longest = 1;
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      try {
        longest = Math.max(longest, tokenizer.tokenToString(id).length);
      } catch {
        // An id the vocabulary leaves out: no text.
      }
    }
    longestTokens.set(tokenizer, longest);
  }
  return longest;
}

/** Token ids of a prompt: text through the tokenizer, ids checked against the vocabulary; longer than n_ctx → 413. */
export function promptIds(model: HookedTransformer, prompt: Prompt, prependBos: boolean | undefined, field = 'prompt'): number[] {
  const { dVocab, nCtx } = model.config;
  let ids: number[];
  if (typeof prompt === 'string') {
    if (!model.tokenizer) throw new HttpError(400, `${field}: this model has no tokenizer; send token ids instead of text`, { field });
    // Tokenizing runs on the event loop: a text that cannot fit is refused before it (1 MB took 11 s).
    const longest = longestToken(model.tokenizer);
    if (prompt.length > TEXT_SLACK * longest * nCtx) {
      throw new HttpError(413, `${field}: ${prompt.length} characters cannot fit the model's context of ${nCtx} tokens (n_ctx; its longest token is ${longest} characters)`, { field, limit: nCtx });
    }
    ids = model.toTokens(prompt, prependBos === undefined ? {} : { prependBos });
  } else {
    const bad = prompt.findIndex((id) => id >= dVocab);
    if (bad !== -1) throw new HttpError(400, `${field}.${bad}: token id ${prompt[bad]} is out of range [0, ${dVocab})`, { field: `${field}.${bad}` });
    ids = [...prompt];
  }
  if (ids.length === 0) throw new HttpError(400, `${field}: encodes to no tokens`, { field });
  if (ids.length > nCtx) throw new HttpError(413, `${field}: ${ids.length} tokens is longer than the model's context of ${nCtx} tokens (n_ctx)`, { field, limit: nCtx });
  return ids;
}

/** The prompt positions the model reads as its unknown token, with the text there when the prompt was text. */
export function unknownPositions(model: HookedTransformer, prompt: Prompt, ids: readonly number[]): UnknownToken[] {
  return unknownTokens(model, ids, typeof prompt === 'string' ? prompt : undefined);
}

/** Token labels as the UI shows them: the tokenizer's pieces, or '#id' without a tokenizer. */
export function tokenLabels(model: HookedTransformer, ids: readonly number[]): string[] {
  return model.tokenizer ? model.toStrTokens(ids) : ids.map((id) => `#${id}`);
}

/** One token's label as it reads inside a text (after `previous` when given). */
export function tokenLabel(model: HookedTransformer, id: number, previous?: number): TokenLabel {
  return { id, token: model.tokenizer ? model.toSingleStrToken(id, previous) : `#${id}` };
}

/** A token named by id, '#ID' or one-token text; errors name the field. */
export function tokenId(model: HookedTransformer, ref: TokenRef, field: string): number {
  try {
    return resolveToken(model, ref, field);
  } catch (error) {
    if (error instanceof Error && (error.name === 'ToolInputError' || error.name === 'TokensError')) throw new HttpError(400, error.message.startsWith(field) ? error.message : `${field}: ${error.message}`, { field });
    throw error;
  }
}

/** Resolves a position (negative from the end) against a prompt length. */
export function resolvePosition(position: number | undefined, length: number, field = 'position'): number {
  const resolved = (position ?? -1) < 0 ? length + (position ?? -1) : position!;
  if (resolved < 0 || resolved >= length) throw new HttpError(400, `${field}: ${position} is outside the prompt of ${length} tokens`, { field });
  return resolved;
}
