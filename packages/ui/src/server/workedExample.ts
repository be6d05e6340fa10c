/**
 * The worked example the dashboard opens on for a model: a prompt pair, an answer and a wrong
 * token that this model's tokenizer reads back exactly (no word lost to an unknown token, each
 * answer one token spelt as the dashboard shows it). Indirect-object sentences in the spellings
 * of GPT-2-style BPE, word-level and TinyStories vocabularies; else repeated random tokens drawn
 * from the vocabulary (an induction example every model can be given, with or without a tokenizer).
 */
import type { HookedTransformer } from '@hooklens/core';
import { resolveToken } from '@hooklens/hooks';
import type { ModelExample } from '../api/index.ts';

interface Candidate {
  prompt: string;
  corrupted: string;
  answer: string;
  wrong: string;
}

const IOI_ABOUT = (c: Candidate) => `indirect object: the name still to be given is ${JSON.stringify(c.answer)}, not ${JSON.stringify(c.wrong)}`;

const SENTENCES: Candidate[] = [
  // Byte-level BPE (GPT-2, SmolLM): punctuation joins the word, names carry their space.
  { prompt: 'When Mary and John went to the store, John gave a drink to', corrupted: 'When Mary and John went to the store, Mary gave a drink to', answer: ' Mary', wrong: ' John' },
  // Word-level vocabularies (toy-ioi): punctuation is a word of its own.
  { prompt: 'When Mary and John went to the store , John gave a drink to', corrupted: 'When Mary and John went to the store , Mary gave a drink to', answer: 'Mary', wrong: 'John' },
  // TinyStories vocabularies (stories15M, stories260K), whose names are Lily and Tim.
  { prompt: 'Lily and Tim went to the park. Lily gave the ball to', corrupted: 'Lily and Tim went to the park. Tim gave the ball to', answer: ' Tim', wrong: ' Lily' },
];

/** Length of each copy in the induction example (BOS + 20 + 19 tokens), less when the context is shorter. */
const SEGMENT = 20;
/** How many vocabulary ids are tried for the random tokens before giving up. */
const MAX_TRIED = 4000;

export function workedExample(model: HookedTransformer): ModelExample | undefined {
  for (const candidate of SENTENCES) if (readsBack(model, candidate)) return { ...candidate, about: IOI_ABOUT(candidate) };
  return inductionExample(model);
}

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/** Both prompts decode back to themselves, fit the context and have the same length; each answer is one token shown as written. */
function readsBack(model: HookedTransformer, c: Candidate): boolean {
  const { tokenizer } = model;
  if (!tokenizer) return false;
  const bos = model.config.defaultPrependBos ? 1 : 0;
  const lengths = [c.prompt, c.corrupted].map((text) => {
    const ids = tokenizer.encode(text);
    return tokenizer.decode(ids) === text ? ids.length + bos : Infinity;
  });
  if (lengths[0] !== lengths[1] || lengths[0] > model.config.nCtx) return false;
  return [c.answer, c.wrong].every((token) => oneTokenAsWritten(model, token) !== undefined);
}

/** The id of `token` when the dashboard would accept it and show it spelt the same, else undefined. */
function oneTokenAsWritten(model: HookedTransformer, token: string): number | undefined {
  try {
    const id = resolveToken(model, token);
    return model.toSingleStrToken(id) === token ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A random segment and then the same segment again, less its last token: the answer is that
 * token, which only copying from the first copy (induction) predicts. The corrupted prompt has
 * other random tokens first, so there is nothing to copy; the wrong token is the segment's first.
 */
function inductionExample(model: HookedTransformer): ModelExample | undefined {
  const { config, tokenizer } = model;
  const length = Math.min(SEGMENT, Math.floor(config.nCtx / 2));
  if (length < 4) return undefined;
  const special = new Set([config.bosTokenId, config.eosTokenId, config.padTokenId, tokenizer?.bosTokenId, tokenizer?.eosTokenId, tokenizer?.padTokenId]);
  // A token stands alone when its text encodes back to it (no merge with a neighbour, not an unknown token).
  const standsAlone = (id: number) => {
    if (!tokenizer) return true;
    const text = tokenizer.decode([id]);
    return text.trim() !== '' && sameIds(tokenizer.encode(text), [id]);
  };
  const ids: number[] = [];
  // A fixed stride through the vocabulary (odd and coprime with most sizes) visits ids in a scattered but reproducible order.
  for (let k = 0, id = 7 % config.dVocab; k < Math.min(MAX_TRIED, config.dVocab) && ids.length < 2 * length; k++, id = (id + 37) % config.dVocab) {
    if (!special.has(id) && !ids.includes(id) && standsAlone(id)) ids.push(id);
  }
  if (ids.length < 2 * length) return undefined;
  const segment = ids.slice(0, length);
  const prompt = [...segment, ...segment.slice(0, -1)];
  const corrupted = [...ids.slice(length), ...segment.slice(0, -1)];
  const text = (t: number[]) => (tokenizer ? tokenizer.decode(t) : t.join(' '));
  if (tokenizer && ![prompt, corrupted].every((t) => sameIds(tokenizer.encode(text(t)), t))) return undefined;
  const label = (id: number) => (tokenizer && oneTokenAsWritten(model, model.toSingleStrToken(id)) === id ? model.toSingleStrToken(id) : `#${id}`);
  const answer = label(segment[length - 1]);
  return {
    prompt: text(prompt),
    corrupted: text(corrupted),
    answer,
    wrong: label(segment[0]),
    about: `induction: ${length} random tokens, then the same again; the next token, ${JSON.stringify(answer)}, is predictable only by copying from the first copy`,
  };
}
