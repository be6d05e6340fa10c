/**
 * The synchronous analysis endpoints: each POST runs one model call through the server's
 * queue and answers with plain data (what the @hooklens/hooks tools return, as is).
 */
import { z } from 'zod';
import { HeadGrid, HeadRef, LayerIndex, ModelId, Position, PromptRequest, TokenLabel, TokenRef, UnknownToken } from './common.ts';
import { MAX_HEAD_REFS, MAX_INDEX_LIST, uniqueList } from './lists.ts';

// POST /api/tokenize
export const TokenizeRequest = PromptRequest;
export const TokenizeResponse = z.object({
  ids: z.array(z.number().int()),
  /** One label per id (model.toStrTokens). */
  tokens: z.array(z.string()),
  /** The positions the model reads as its unknown token, with the text it lacks; [] when it knows every word. */
  unknown: z.array(UnknownToken),
  /** The model's context length; longer prompts are refused by the other endpoints. */
  nCtx: z.number().int(),
});

// POST /api/run
export const RunRequest = PromptRequest.extend({
  /** How many next-token candidates to return (default 10, at most 100). */
  topK: z.number().int().min(1).max(100).optional(),
  position: Position.optional(),
});
export const TopToken = TokenLabel.extend({ prob: z.number(), logit: z.number() });
export const RunResponse = z.object({
  ids: z.array(z.number().int()),
  tokens: z.array(z.string()),
  /** As in TokenizeResponse. */
  unknown: z.array(UnknownToken),
  /** The position the prediction is read at (resolved: never negative). */
  position: z.number().int(),
  /** The most likely next tokens after `position`, most likely first. */
  top: z.array(TopToken),
  /** Mean next-token cross-entropy over the prompt (nats); null for a one-token prompt. */
  loss: z.number().nullable(),
  /** Loss of predicting token i + 1 from the prefix up to i, for each i (length ids.length − 1). */
  perTokenLoss: z.array(z.number()),
});

// POST /api/lens
export const LensRequest = PromptRequest.extend({
  /** Tokens listed per layer and position (default 5, at most 50). */
  topK: z.number().int().min(1).max(50).optional(),
  /** A token whose probability, logit and rank to follow through the layers. */
  target: TokenRef.optional(),
  /** Include the final residual (the model's own prediction) as the last row (default true). */
  includeFinal: z.boolean().optional(),
});
export const LensToken = z.object({ token: z.string(), id: z.number().int(), prob: z.number() });
export const LensTarget = z.object({ prob: z.number(), rank: z.number().int(), logit: z.number() });
/** @hooklens/hooks' LogitLensResult, plus the resolved target. */
export const LensResponse = z.object({
  /** The residual read at each row: blocks.L.hook_resid_pre, …, then the final resid_post. */
  layers: z.array(z.string()),
  positions: z.array(z.string()),
  tokenIds: z.array(z.number().int()),
  /** As in TokenizeResponse. */
  unknown: z.array(UnknownToken),
  /** [layer][pos][k] */
  top: z.array(z.array(z.array(LensToken))),
  /** [layer][pos], when a target was given. */
  target: z.array(z.array(LensTarget)).optional(),
  targetToken: TokenLabel.optional(),
  /** [layer][pos], nats. */
  entropy: z.array(z.array(z.number())),
  /** [layer][pos]: KL(final ‖ layer), nats. */
  klToFinal: z.array(z.array(z.number())),
});

// POST /api/attention
export const AttentionRequest = PromptRequest.extend({
  /** The layer whose full patterns to return; omit to get thumbnails only. */
  layer: LayerIndex.optional(),
  /** Heads of `layer` to return (default all), each once. */
  heads: uniqueList(z.number().int().nonnegative(), { max: MAX_INDEX_LIST }).optional(),
  /** Also return a small average-pooled pattern for every layer and head. */
  thumbnails: z.boolean().optional(),
  /** Side of each thumbnail in cells (default 32, 2–128); never more than the prompt length. */
  thumbnailSize: z.number().int().min(2).max(128).optional(),
});
export const AttentionResponse = z.object({
  /** Token labels: the queries (rows) and keys (columns). */
  tokens: z.array(z.string()),
  ids: z.array(z.number().int()),
  /** As in TokenizeResponse. */
  unknown: z.array(UnknownToken),
  layer: z.number().int().optional(),
  heads: z.array(z.number().int()).optional(),
  /** [head][query][key] attention probabilities of `layer` for `heads` (in that order). */
  patterns: z.array(z.array(z.array(z.number()))).optional(),
  thumbnails: z
    .object({
      /** Rows and columns per thumbnail; cell (i, j) averages a block of the full pattern. */
      size: z.number().int(),
      /** [layer][head][row][col] */
      data: z.array(z.array(z.array(z.array(z.number())))),
    })
    .optional(),
});

// POST /api/head-scores
export const HeadScoresRequest = z.strictObject({
  model: ModelId,
  /** Length of the random sequence that is repeated (default 50, or what fits n_ctx). */
  seqLen: z.number().int().min(2).optional(),
  /** Number of sequences (default 8, at most 64). */
  batch: z.number().int().min(1).max(64).optional(),
  seed: z.number().int().optional(),
});
export const HeadScoresResponse = z.object({
  previousToken: HeadGrid,
  duplicateToken: HeadGrid,
  induction: HeadGrid,
  seqLen: z.number().int(),
  batch: z.number().int(),
});

// POST /api/ablate
export const AblationMode = z.enum(['zero', 'mean', 'resample']);
/** The metric options shared by ablation and its sweep: logit[answer] − logit[wrong] at position. */
const MetricFields = {
  answer: TokenRef.optional(),
  wrong: TokenRef.optional(),
  position: Position.optional(),
};
export const AblateRequest = PromptRequest.extend({
  /** Each { layer, head } once. */
  heads: uniqueList(HeadRef, { max: MAX_HEAD_REFS, key: ({ layer, head }) => `${layer}.${head}` }).optional(),
  /** MLP layers whose whole output is ablated, each once. */
  mlps: uniqueList(LayerIndex, { max: MAX_INDEX_LIST }).optional(),
  /** Default 'zero'; 'mean' and 'resample' use the prompt itself as the reference. */
  mode: AblationMode.optional(),
  seed: z.number().int().optional(),
  ...MetricFields,
});
export const TokenPrediction = z.object({ token: z.number().int(), text: z.string().optional(), probability: z.number() });
export const AblateResponse = z.object({
  lossClean: z.number(),
  lossAblated: z.number(),
  lossDelta: z.number(),
  /** Only with answer and wrong. */
  metricClean: z.number().optional(),
  metricAblated: z.number().optional(),
  metricDelta: z.number().optional(),
  position: z.number().int(),
  /** One entry per prompt row (one here): top-5 next tokens, clean and ablated. */
  predictions: z.array(z.object({ clean: z.array(TokenPrediction), ablated: z.array(TokenPrediction) })),
});

// POST /api/attribution
export const AttributionRequest = PromptRequest.extend({
  answer: TokenRef,
  /** Attribute logit[answer] − logit[wrong] instead of logit[answer]. */
  wrong: TokenRef.optional(),
  position: Position.optional(),
});
/** @hooklens/hooks' DirectLogitAttribution, plus the resolved tokens. */
export const AttributionResponse = z.object({
  /** [layer][head]: each head's direct contribution (no b_O). */
  heads: HeadGrid,
  /** 'embed', 'pos_embed' (learned positions), then 'L0 attn', 'L0 mlp', … */
  layers: z.array(z.object({ label: z.string(), value: z.number() })),
  biases: z.number(),
  biasTerms: z.object({ attnOutBias: z.number(), normBias: z.number(), unembedBias: z.number() }),
  /** The model's own logit (difference); the parts sum to it. */
  total: z.number(),
  position: z.number().int(),
  answerToken: TokenLabel,
  wrongToken: TokenLabel.optional(),
});

export type TokenizeRequest = z.infer<typeof TokenizeRequest>;
export type TokenizeResponse = z.infer<typeof TokenizeResponse>;
export type RunRequest = z.infer<typeof RunRequest>;
export type TopToken = z.infer<typeof TopToken>;
export type RunResponse = z.infer<typeof RunResponse>;
export type LensRequest = z.infer<typeof LensRequest>;
export type LensResponse = z.infer<typeof LensResponse>;
export type AttentionRequest = z.infer<typeof AttentionRequest>;
export type AttentionResponse = z.infer<typeof AttentionResponse>;
export type HeadScoresRequest = z.infer<typeof HeadScoresRequest>;
export type HeadScoresResponse = z.infer<typeof HeadScoresResponse>;
export type AblationMode = z.infer<typeof AblationMode>;
export type AblateRequest = z.infer<typeof AblateRequest>;
export type AblateResponse = z.infer<typeof AblateResponse>;
export type AttributionRequest = z.infer<typeof AttributionRequest>;
export type AttributionResponse = z.infer<typeof AttributionResponse>;
export { MetricFields };
