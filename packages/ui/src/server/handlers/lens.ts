/** POST /api/lens: @hooklens/hooks logitLens on one prompt. */
import { logitLens } from '@hooklens/hooks';
import type { LensRequest, LensResponse } from '../../api/index.ts';
import type { ModelCall } from '../modelRoute.ts';
import { forwardBytes } from '../modelRoute.ts';
import { promptIds, tokenId, tokenLabel, unknownPositions } from '../prompt.ts';

const DEFAULT_TOP_K = 5;

export const lens: ModelCall<LensRequest, LensResponse> = (model, request) => {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const target = request.target === undefined ? undefined : tokenId(model, request.target, 'target');
  const topK = Math.min(request.topK ?? DEFAULT_TOP_K, model.config.dVocab);
  const includeFinal = request.includeFinal ?? true;
  // [layer][pos] cells: top-k (token, id, prob) each, entropy and KL, and the target's three numbers.
  const cells = (model.config.nLayers + (includeFinal ? 1 : 0)) * ids.length;
  return {
    cost: {
      // The lens scores positions in chunks of bounded size: the run's cache is the peak.
      tensorBytes: [forwardBytes(model, [1, ids.length], 'prompt')],
      replyValues: [
        { field: 'prompt', amount: 2 * cells + 3 * ids.length },
        { field: 'topK', amount: 3 * topK * cells, detail: `${topK} tokens × ${cells} layer-positions` },
        ...(target !== undefined ? [{ field: 'target', amount: 3 * cells }] : []),
      ],
    },
    run: () => {
      const result = logitLens(model, ids, { topK, ...(target !== undefined && { target }), includeFinal });
      return { ...result, unknown: unknownPositions(model, request.prompt, ids), ...(target !== undefined && { targetToken: tokenLabel(model, target) }) };
    },
  };
};
