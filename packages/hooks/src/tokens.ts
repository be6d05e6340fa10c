import { nearestStrings } from '@hooklens/core';
import type { HookedTransformer, Tokenizer } from '@hooklens/core';

export class ToolInputError extends Error {
  override name = 'ToolInputError';
}

/** How many known tokens an error about an unknown one suggests. */
const SUGGESTIONS = 3;

/**
 * A token given by a person: `#ID` (an id) or text that must encode to exactly one token the
 * model knows. Anything else is an error naming the text, the model and the nearest tokens it
 * knows: text the vocabulary lacks (a word-level model reads it as `<unk>`), text that is
 * several tokens (a byte-level BPE model spells every text, in pieces), and the unknown token
 * itself. `what` names the argument in errors ("answer", "target").
 */
export function resolveToken(model: HookedTransformer, token: string | number, what = 'token'): number {
  const unk = model.tokenizer?.unkTokenId;
  if (typeof token === 'number' || /^#\d+$/.test(token)) {
    const id = typeof token === 'number' ? token : Number(token.slice(1));
    if (!Number.isInteger(id) || id < 0 || id >= model.config.dVocab) throw new ToolInputError(`${what} id ${id} is out of range [0, ${model.config.dVocab})`);
    if (id === unk) throw new ToolInputError(`${what} #${id} is ${JSON.stringify(model.toSingleStrToken(id))}, the unknown token of ${modelName(model)}, not a token it knows`);
    return id;
  }
  if (token === '') throw new ToolInputError(`${what} is empty`);
  const ids = model.toTokens(token, { prependBos: false });
  if (ids.length !== 1 && token.startsWith(' ')) {
    // SentencePiece-style tokenizers (llama2.c) add the leading space themselves: " girl"
    // is the token that "girl" encodes to, and shows as " girl" in the middle of a text.
    const unspaced = model.toTokens(token.slice(1), { prependBos: false });
    if (unspaced.length === 1 && unspaced[0] !== unk && model.toSingleStrToken(unspaced[0]) === token) return unspaced[0];
  }
  if (ids.length === 1 && ids[0] !== unk) return ids[0];
  const nearest = nearestKnownTokens(model, token);
  if (ids.length === 1) {
    const suggest = nearest.length > 0 ? `; nearest tokens it knows: ${nearest.map((piece) => JSON.stringify(piece)).join(', ')}` : '';
    throw new ToolInputError(`${what} ${JSON.stringify(token)} is not a token of ${modelName(model)} (it would be read as the unknown token ${JSON.stringify(model.toSingleStrToken(ids[0]))})${suggest}`);
  }
  const unknownWords = unk === undefined ? [] : (model.tokenizer?.unknownText?.(token) ?? []);
  const labels = model.toStrTokens(ids);
  let seen = 0;
  const pieces = ids.map((id, index) => {
    if (id !== unk) return JSON.stringify(labels[index]);
    const word = unknownWords[seen++];
    return word ? `${JSON.stringify(word)} (unknown)` : 'an unknown token';
  });
  const singles = nearest.length > 0 ? `; the nearest single tokens it knows: ${nearest.map((piece) => JSON.stringify(piece)).join(', ')}` : '';
  throw new ToolInputError(`${what} ${JSON.stringify(token)} is ${ids.length} tokens of ${modelName(model)} (${pieces.join(', ')}${singles}), not one; give a single token or #ID`);
}

/** A prompt's token ids, with a clear error for an empty prompt. */
export function promptTokens(model: HookedTransformer, prompt: string, options: { prependBos?: boolean } = {}, what = 'prompt'): number[] {
  if (prompt.trim() === '' ) throw new ToolInputError(`${what} is empty`);
  return model.toTokens(prompt, options);
}

/** A prompt position holding the unknown token: `text` is what the prompt had there ('' when the tokenizer cannot tell). */
export interface UnknownToken {
  position: number;
  text: string;
}

/**
 * The positions of `ids` that are the model's unknown token (`<unk>`), each with the text it
 * replaced when `text` (what `ids` were encoded from) is given and the tokenizer can tell.
 * Prompts may hold such words, but whoever shows the results must say so.
 */
export function unknownTokens(model: HookedTransformer, ids: readonly number[], text?: string): UnknownToken[] {
  const unk = model.tokenizer?.unkTokenId;
  if (unk === undefined) return [];
  const positions = ids.flatMap((id, position) => (id === unk ? [position] : []));
  if (positions.length === 0) return [];
  const words = text === undefined ? [] : (model.tokenizer?.unknownText?.(text) ?? []);
  // The words line up with the positions only when the tokenizer accounts for every one.
  const aligned = words.length === positions.length;
  return positions.map((position, index) => ({ position, text: aligned ? words[index] : '' }));
}

/**
 * How messages name a model: its checkpoint's directory or file name, a hub snapshot by its
 * repository ("openai-community/gpt2").
 */
export function modelName(model: HookedTransformer): string {
  const hub = /models--([^/\\]+)[/\\]snapshots[/\\]/.exec(model.source);
  if (hub) return hub[1].split('--').join('/');
  const base = model.source.replace(/[/\\]+$/, '').split(/[/\\]/).pop() ?? model.source;
  return base.replace(/\.(bin|safetensors|hooklens)$/, '') || model.source;
}

/** The known tokens whose text is nearest `text` (edit distance), over the whole vocabulary. */
export function nearestKnownTokens(model: HookedTransformer, text: string, count = SUGGESTIONS): string[] {
  return nearestStrings(knownTokenTexts(model), text, count);
}

const knownTexts = new WeakMap<Tokenizer, { dVocab: number; texts: string[] }>();

/**
 * Every token a person could name, as it reads inside a text: not the special tokens (BOS, EOS,
 * padding, unknown), not lone bytes that are no text by themselves. Worked out once per tokenizer.
 */
function knownTokenTexts(model: HookedTransformer): string[] {
  const tokenizer = model.tokenizer;
  if (!tokenizer) return [];
  const { dVocab } = model.config;
  const cached = knownTexts.get(tokenizer);
  if (cached && cached.dVocab === dVocab) return cached.texts;
  const special = new Set([tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.padTokenId, tokenizer.unkTokenId]);
  const texts: string[] = [];
  for (let id = 0; id < Math.min(dVocab, tokenizer.vocabSize); id++) {
    if (special.has(id)) continue;
    let text: string;
    try {
      text = model.toSingleStrToken(id);
    } catch {
      continue; // a hole in the vocabulary
    }
    if (text !== '' && !text.includes('\uFFFD')) texts.push(text);
  }
  knownTexts.set(tokenizer, { dVocab, texts });
  return texts;
}
