/** POST /api/head-scores: previous-token, duplicate-token and induction scores of every head. */
import type { HookedTransformer } from '@hooklens/core';
import { headScores as scoreHeads } from '@hooklens/hooks';
import type { HeadScoresRequest, HeadScoresResponse } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';

export async function headScores(model: HookedTransformer, request: HeadScoresRequest): Promise<HeadScoresResponse> {
  const { nCtx } = model.config;
  // Two copies (plus BOS) must fit the context.
  const maxSeqLen = Math.floor((nCtx - 1) / 2);
  if (request.seqLen !== undefined && request.seqLen > maxSeqLen) {
    throw new HttpError(413, `seqLen: ${request.seqLen} repeated twice does not fit the model's context of ${nCtx} tokens (n_ctx); at most ${maxSeqLen}`, { field: 'seqLen', limit: nCtx });
  }
  const { seqLen, batch, seed } = request;
  return scoreHeads(model, { ...(seqLen !== undefined && { seqLen }), ...(batch !== undefined && { batch }), ...(seed !== undefined && { seed }) });
}
