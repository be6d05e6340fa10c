/**
 * Long work runs as a job: POST /api/jobs/<kind> answers 202 with the job at once; follow it
 * with GET /api/jobs/:id (polling) or GET /api/jobs/:id/events (server-sent events), cancel it
 * with DELETE /api/jobs/:id. A finished job's result is kept until it has been fetched, and
 * the server keeps a bounded number of finished jobs (oldest fetched ones go first).
 */
import { z } from 'zod';
import { AblationMode, MetricFields } from './analysis.ts';
import { HeadGrid, ModelId, Position, Prompt, PromptRequest, TokenRef } from './common.ts';
import { MAX_INDEX_LIST, MAX_PROMPT_TOKENS, uniqueList } from './lists.ts';

// POST /api/jobs/ablation-sweep: ablate every head in turn.
export const AblationSweepRequest = PromptRequest.extend({
  mode: AblationMode.optional(),
  seed: z.number().int().optional(),
  /** false: skip the loss (faster on large vocabularies); then answer and wrong are required. Default true. */
  loss: z.boolean().optional(),
  ...MetricFields,
});
export const AblationSweepResult = z.object({
  /** [layer][head]: loss with that head ablated minus the clean loss (absent when loss: false). */
  lossDelta: HeadGrid.optional(),
  lossClean: z.number().optional(),
  /** [layer][head]: metric with that head ablated minus the clean metric (with answer and wrong). */
  metricDelta: HeadGrid.optional(),
  metricClean: z.number().optional(),
});

// POST /api/jobs/patching: activation patching (@hooklens/hooks activationPatching), clean → corrupted.
/** Mirrors @hooklens/hooks PATCH_KINDS (a server test checks they agree). */
export const PATCH_KINDS = [
  'resid_pre', 'resid_mid', 'attn_out', 'mlp_out',
  'z', 'q', 'k', 'v', 'pattern',
  'z_by_pos', 'q_by_pos', 'k_by_pos', 'v_by_pos', 'pattern_by_pos',
] as const;
export const PatchKind = z.enum(PATCH_KINDS);
export const PatchingRequest = z.strictObject({
  model: ModelId,
  clean: Prompt,
  /** Same number of tokens as `clean`. */
  corrupted: Prompt,
  prependBos: z.boolean().optional(),
  /** The metric is logit[answer] − logit[wrong] at `position` (default the last). */
  answer: TokenRef,
  wrong: TokenRef,
  position: Position.optional(),
  /**
   * Grids to compute, in order (default ['z', 'resid_pre', 'attn_out', 'mlp_out'], without
   * mlp_out for attention-only models). 'z' gives each head's effect (all positions);
   * resid_pre / attn_out / mlp_out give [layer][position].
   */
  kinds: uniqueList(PatchKind, { min: 1, max: PATCH_KINDS.length }).optional(),
  /** Restrict to these layers / heads / positions (default all), each listed once. */
  layers: uniqueList(z.number().int().nonnegative(), { max: MAX_INDEX_LIST }).optional(),
  heads: uniqueList(z.number().int().nonnegative(), { max: MAX_INDEX_LIST }).optional(),
  positions: uniqueList(z.number().int().nonnegative(), { max: MAX_PROMPT_TOKENS }).optional(),
});
/**
 * One grid of @hooklens/hooks' PatchingResult. Values are normalised: clean run = 1,
 * corrupted run = 0: (metric_patched − metric_corrupted) / (metric_clean − metric_corrupted).
 */
export const PatchingGrid = z.object({
  kind: PatchKind,
  /** 'L0', 'L1', … */
  rows: z.array(z.string()),
  /** Position labels ('pos 3: " Mary"') for position kinds; 'H0', … (or 'KV0') for head kinds. */
  cols: z.array(z.string()),
  /** [layer][col] for position and head kinds; [layer][head][position] for *_by_pos kinds. */
  values: z.union([z.array(z.array(z.number())), z.array(z.array(z.array(z.number())))]),
  /** Position labels, the third axis of *_by_pos kinds. */
  positions: z.array(z.string()).optional(),
  /** The metric on the clean and corrupted prompts, unnormalised. */
  clean: z.number(),
  corrupted: z.number(),
});
export const PatchingResult = z.object({
  metricClean: z.number(),
  metricCorrupted: z.number(),
  grids: z.array(PatchingGrid),
});

export const JobKind = z.enum(['ablation-sweep', 'patching']);
export const JobStatus = z.enum(['queued', 'running', 'done', 'error', 'cancelled']);
export const JobProgress = z.object({ done: z.number().int(), total: z.number().int() });
export const JobInfo = z.object({
  id: z.string(),
  kind: JobKind,
  model: ModelId,
  status: JobStatus,
  progress: JobProgress,
  /** ISO times. */
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  /** When status is 'error': what went wrong (with `errorId` for internal errors). */
  error: z.string().optional(),
  errorId: z.string().optional(),
  /**
   * When status is 'done': PatchingResult or AblationSweepResult, by kind. PatchingResult comes
   * first: its fields are required, while every field of AblationSweepResult is optional, so
   * that schema would accept (and strip) a patching result.
   */
  result: z.union([PatchingResult, AblationSweepResult]).optional(),
});
export const JobsResponse = z.object({ jobs: z.array(JobInfo) });

/**
 * GET /api/jobs/:id/events is a text/event-stream. Events:
 *   event: progress   data: JobProgress      (sent on connect, then after every batch)
 *   event: end        data: JobInfo          (once, when done/error/cancelled; result included; the stream then closes)
 */
export const JOB_EVENTS = { progress: 'progress', end: 'end' } as const;

export type AblationSweepRequest = z.infer<typeof AblationSweepRequest>;
export type AblationSweepResult = z.infer<typeof AblationSweepResult>;
export type PatchKind = z.infer<typeof PatchKind>;
export type PatchingGrid = z.infer<typeof PatchingGrid>;
export type PatchingRequest = z.infer<typeof PatchingRequest>;
export type PatchingResult = z.infer<typeof PatchingResult>;
export type JobKind = z.infer<typeof JobKind>;
export type JobStatus = z.infer<typeof JobStatus>;
export type JobProgress = z.infer<typeof JobProgress>;
export type JobInfo = z.infer<typeof JobInfo>;
export type JobsResponse = z.infer<typeof JobsResponse>;
