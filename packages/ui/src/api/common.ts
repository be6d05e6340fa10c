/**
 * Building blocks shared by every request and response schema. This folder is imported by
 * the browser bundle too: it depends on zod only (no Node, no @hooklens/core).
 */
import { z } from 'zod';
import { MAX_PROMPT_TOKENS, sequence } from './lists.ts';

/** A model as the server lists it: the checkpoint's directory or file name, unique per server. */
export const ModelId = z.string().min(1, 'model id is empty');

/**
 * A prompt: text (encoded with the model's tokenizer) or token ids (for models without a
 * tokenizer, or to bypass it). Too long for the model's context (n_ctx) → 413; at most
 * MAX_PROMPT_TOKENS ids whatever the model (400).
 */
export const Prompt = z.union([z.string().min(1), sequence(z.number().int().nonnegative(), { min: 1, max: MAX_PROMPT_TOKENS })], {
  error: 'expected non-empty text or a non-empty array of token ids (integers >= 0)',
});

/** Every request that runs a prompt names the model and the prompt. Request objects are strict: an unknown (misspelt) field is a 400. */
export const PromptRequest = z.strictObject({
  model: ModelId,
  prompt: Prompt,
  /** Prepend BOS to a text prompt; default: the model family's convention. Ignored for token ids. */
  prependBos: z.boolean().optional(),
});

/** A token named by a person: an id, '#ID', or text that encodes to exactly one token. */
export const TokenRef = z.union([z.number().int().nonnegative(), z.string().min(1)], {
  error: "expected a token id (integer >= 0), '#ID', or text that is one token",
});

/** Which position's prediction: default the last; negative counts from the end. */
export const Position = z.number().int();

export const LayerIndex = z.number().int().nonnegative();

export const HeadRef = z.strictObject({ layer: LayerIndex, head: z.number().int().nonnegative() });

/** A token id with its text (the tokenizer's piece; '#id' without a tokenizer). */
export const TokenLabel = z.object({ id: z.number().int(), token: z.string() });

/**
 * A prompt position holding the model's unknown token (`<unk>`): the vocabulary lacks the text
 * there (`text`, '' when the tokenizer cannot tell, e.g. for token-id prompts). The run is real,
 * but of a different prompt than the one typed, so clients must show it.
 */
export const UnknownToken = z.object({ position: z.number().int(), text: z.string() });

/** [layer][head] grid of numbers. */
export const HeadGrid = z.array(z.array(z.number()));

/**
 * Every error response. `field` names the request field at fault (400, 413); `limit` is the
 * bound it broke: a list's maximum length (400), the model's n_ctx or one of the server's
 * per-request limits (413); `errorId` identifies a 500 in the server log.
 */
export const ErrorResponse = z.object({
  error: z.string(),
  field: z.string().optional(),
  limit: z.number().optional(),
  errorId: z.string().optional(),
});

export type ModelId = z.infer<typeof ModelId>;
export type Prompt = z.infer<typeof Prompt>;
export type PromptRequest = z.infer<typeof PromptRequest>;
export type TokenRef = z.infer<typeof TokenRef>;
export type HeadRef = z.infer<typeof HeadRef>;
export type TokenLabel = z.infer<typeof TokenLabel>;
export type UnknownToken = z.infer<typeof UnknownToken>;
export type HeadGrid = z.infer<typeof HeadGrid>;
export type ErrorResponse = z.infer<typeof ErrorResponse>;
