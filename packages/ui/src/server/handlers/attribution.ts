/** POST /api/attribution: @hooklens/hooks directLogitAttribution (per head, per layer). */
import type { HookedTransformer } from '@hooklens/core';
import { directLogitAttribution } from '@hooklens/hooks';
import type { AttributionRequest, AttributionResponse } from '../../api/index.ts';
import { promptIds, resolvePosition, tokenId, tokenLabel } from '../prompt.ts';

export function attribution(model: HookedTransformer, request: AttributionRequest): AttributionResponse {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const answer = tokenId(model, request.answer, 'answer');
  const wrong = request.wrong === undefined ? undefined : tokenId(model, request.wrong, 'wrong');
  const position = resolvePosition(request.position, ids.length);
  const result = directLogitAttribution(model, ids, { answer, position, ...(wrong !== undefined && { wrong }) });
  return { ...result, answerToken: tokenLabel(model, answer), ...(wrong !== undefined && { wrongToken: tokenLabel(model, wrong) }) };
}
