/** POST /api/head-scores: previous-token, duplicate-token and induction scores of every head. */
import { headScores as scoreHeads, repeatedRandomTokens } from '@hooklens/hooks';
import type { HeadScoresRequest, HeadScoresResponse } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import type { ModelCall } from '../modelRoute.ts';
import { forwardBytes } from '../modelRoute.ts';

export const headScores: ModelCall<HeadScoresRequest, HeadScoresResponse> = (model, request) => {
  const { nCtx, nLayers, nHeads } = model.config;
  // Two copies (plus BOS) must fit the context.
  const maxSeqLen = Math.floor((nCtx - 1) / 2);
  if (request.seqLen !== undefined && request.seqLen > maxSeqLen) {
    throw new HttpError(413, `seqLen: ${request.seqLen} repeated twice does not fit the model's context of ${nCtx} tokens (n_ctx); at most ${maxSeqLen}`, { field: 'seqLen', limit: nCtx });
  }
  const { seqLen, batch, seed } = request;
  const options = { ...(seqLen !== undefined && { seqLen }), ...(batch !== undefined && { batch }), ...(seed !== undefined && { seed }) };
  // The same sequences headScores will draw: their shape is the forward pass's.
  const { tokens } = repeatedRandomTokens(model, options);
  const shape = [tokens.length, tokens[0].length] as const;
  return {
    cost: {
      tensorBytes: [forwardBytes(model, shape, request.batch !== undefined || request.seqLen === undefined ? 'batch' : 'seqLen')],
      replyValues: [{ field: 'model', amount: 3 * nLayers * nHeads + 2 }],
    },
    run: () => scoreHeads(model, options),
  };
};
