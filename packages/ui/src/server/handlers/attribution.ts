/** POST /api/attribution: @hooklens/hooks directLogitAttribution (per head, per layer). */
import { directLogitAttribution } from '@hooklens/hooks';
import type { AttributionRequest, AttributionResponse } from '../../api/index.ts';
import type { ModelCall } from '../modelRoute.ts';
import { forwardBytes } from '../modelRoute.ts';
import { promptIds, resolvePosition, tokenId, tokenLabel } from '../prompt.ts';

export const attribution: ModelCall<AttributionRequest, AttributionResponse> = (model, request) => {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const answer = tokenId(model, request.answer, 'answer');
  const wrong = request.wrong === undefined ? undefined : tokenId(model, request.wrong, 'wrong');
  const position = resolvePosition(request.position, ids.length);
  const { nLayers, nHeads } = model.config;
  return {
    cost: {
      tensorBytes: [forwardBytes(model, [1, ids.length], 'prompt')],
      replyValues: [{ field: 'model', amount: nLayers * nHeads + 2 * (2 * nLayers + 2) + 12 }],
    },
    run: () => {
      const result = directLogitAttribution(model, ids, { answer, position, ...(wrong !== undefined && { wrong }) });
      return { ...result, answerToken: tokenLabel(model, answer), ...(wrong !== undefined && { wrongToken: tokenLabel(model, wrong) }) };
    },
  };
};
