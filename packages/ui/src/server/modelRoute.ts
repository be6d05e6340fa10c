/**
 * The shape of every model route: a handler first prepares the request (validates it against the
 * model, tokenizes, states its cost), outside the model queue and before any model work; only a
 * request whose cost is within the server's limits (limits.ts) is then run. The types make the
 * cost part of a handler, so a route cannot be registered without one.
 */
import type { HookedTransformer } from '@hooklens/core';
import type { JobWork } from './jobs.ts';
import type { CostPart, RequestCost } from './limits.ts';

export interface PreparedCall<Res> {
  cost: RequestCost;
  /** The model work; runs in the model queue. */
  run(): Res | Promise<Res>;
}

export interface PreparedJob {
  cost: RequestCost;
  work: JobWork;
}

export type ModelCall<Req, Res> = (model: HookedTransformer, request: Req) => PreparedCall<Res>;
export type ModelJob<Req> = (model: HookedTransformer, request: Req) => PreparedJob;

/**
 * A forward pass's peak over the model's estimateCacheBytes of every hook and the logits: the
 * core's forward holds each block's intermediates until it returns, and more of them than there
 * are hook points (masked scores, softmax steps, norm statistics). Measured with tf.profile on the
 * WASM backend (stories260K): 2.1× at 512 tokens, 2.5× at 64 (short prompts add the weights' own
 * transient copies, counted apart below).
 */
export const FORWARD_PEAK_FACTOR = 2.5;

/** Tensor bytes at the peak of a forward pass over tokens of shape [batch, positions]. */
export function forwardBytes(model: HookedTransformer, [batch, positions]: readonly [number, number], field: string): CostPart {
  const estimate = model.estimateCacheBytes([batch, positions]).total;
  return { field, amount: Math.ceil(FORWARD_PEAK_FACTOR * estimate) + 4 * model.numParams(), detail: `a forward pass over [${batch}, ${positions}] tokens` };
}

/**
 * Estimated bytes of one batch of a job's forward passes. A batch runs without yielding the event
 * loop, so its size is what a request arriving meanwhile, or SIGTERM, waits at most: about 64 MiB
 * of activations is under a second on the single-threaded WASM backend (stories260K: ~94 MiB
 * and ~1 s per 500-token row). The sweeps' own default sizes batches for memory (1 GiB), not for this.
 */
export const JOB_BATCH_BYTES = 64 * 2 ** 20;
const MAX_JOB_BATCH = 32;

/** Rows per batch for a job over prompts of `positions` tokens: at least 1, at most 32. */
export function jobBatchSize(model: HookedTransformer, positions: number): number {
  return Math.max(1, Math.min(MAX_JOB_BATCH, Math.floor(JOB_BATCH_BYTES / model.estimateCacheBytes([1, positions]).total)));
}
