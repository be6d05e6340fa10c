/** The answer/wrong/position metric fields shared by /api/ablate and the ablation sweep. */
import type { HookedTransformer } from '@hooklens/core';
import type { TokenRef } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import { resolvePosition, tokenId } from '../prompt.ts';

export function metricOptions(
  model: HookedTransformer,
  request: { answer?: TokenRef; wrong?: TokenRef; position?: number },
  length: number,
): { answer?: number; wrong?: number; position?: number } {
  if ((request.answer === undefined) !== (request.wrong === undefined)) {
    const missing = request.answer === undefined ? 'answer' : 'wrong';
    throw new HttpError(400, `${missing}: the metric logit[answer] − logit[wrong] needs both answer and wrong`, { field: missing });
  }
  const position = request.position === undefined ? undefined : resolvePosition(request.position, length);
  return {
    ...(request.answer !== undefined && { answer: tokenId(model, request.answer, 'answer') }),
    ...(request.wrong !== undefined && { wrong: tokenId(model, request.wrong, 'wrong') }),
    ...(position !== undefined && { position }),
  };
}
