/** POST /api/ablate: ablate a set of heads (and MLPs) and compare with the clean run. */
import { ablate as ablateComponents } from '@hooklens/hooks';
import type { AblateRequest, AblateResponse } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import type { ModelCall } from '../modelRoute.ts';
import { forwardBytes } from '../modelRoute.ts';
import { promptIds } from '../prompt.ts';
import { metricOptions } from './metric.ts';

export const ablate: ModelCall<AblateRequest, AblateResponse> = (model, request) => {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const { nLayers, nHeads } = model.config;
  request.heads?.forEach(({ layer, head }, i) => {
    if (layer >= nLayers) throw new HttpError(400, `heads.${i}.layer: ${layer} is out of range [0, ${nLayers})`, { field: `heads.${i}.layer` });
    if (head >= nHeads) throw new HttpError(400, `heads.${i}.head: ${head} is out of range [0, ${nHeads})`, { field: `heads.${i}.head` });
  });
  request.mlps?.forEach((layer, i) => {
    if (layer >= nLayers) throw new HttpError(400, `mlps.${i}: ${layer} is out of range [0, ${nLayers})`, { field: `mlps.${i}` });
  });
  if (request.mlps?.length && model.config.attnOnly) throw new HttpError(400, 'mlps: this model is attention-only and has no MLPs', { field: 'mlps' });
  const options = {
    heads: request.heads ?? [],
    mlps: request.mlps ?? [],
    ...(request.mode !== undefined && { mode: request.mode }),
    ...(request.seed !== undefined && { seed: request.seed }),
    ...metricOptions(model, request, ids.length),
  };
  return {
    cost: {
      // The clean run and the ablated one (whose reference, for mean and resample, is the prompt's own cache).
      tensorBytes: [forwardBytes(model, [2, ids.length], 'prompt')],
      replyValues: [{ field: 'prompt', amount: 40 }],
    },
    run: () => ablateComponents(model, ids, options),
  };
};
