/** POST /api/lens: @hooklens/hooks logitLens on one prompt. */
import type { HookedTransformer } from '@hooklens/core';
import { logitLens } from '@hooklens/hooks';
import type { LensRequest, LensResponse } from '../../api/index.ts';
import { promptIds, tokenId, tokenLabel, unknownPositions } from '../prompt.ts';

export function lens(model: HookedTransformer, request: LensRequest): LensResponse {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const target = request.target === undefined ? undefined : tokenId(model, request.target, 'target');
  const result = logitLens(model, ids, {
    ...(request.topK !== undefined && { topK: Math.min(request.topK, model.config.dVocab) }),
    ...(target !== undefined && { target }),
    ...(request.includeFinal !== undefined && { includeFinal: request.includeFinal }),
  });
  return { ...result, unknown: unknownPositions(model, request.prompt, ids), ...(target !== undefined && { targetToken: tokenLabel(model, target) }) };
}
