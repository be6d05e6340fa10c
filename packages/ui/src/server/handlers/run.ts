/** POST /api/tokenize and POST /api/run: the prompt's tokens, next-token top-k and loss. */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import type { RunRequest, RunResponse, TokenizeRequest, TokenizeResponse } from '../../api/index.ts';
import { promptIds, resolvePosition, tokenLabel, tokenLabels, unknownPositions } from '../prompt.ts';

const DEFAULT_TOP_K = 10;

export function tokenize(model: HookedTransformer, request: TokenizeRequest): TokenizeResponse {
  const ids = promptIds(model, request.prompt, request.prependBos);
  return { ids, tokens: tokenLabels(model, ids), unknown: unknownPositions(model, request.prompt, ids), nCtx: model.config.nCtx };
}

export async function run(model: HookedTransformer, request: RunRequest): Promise<RunResponse> {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const position = resolvePosition(request.position, ids.length);
  const topK = Math.min(request.topK ?? DEFAULT_TOP_K, model.config.dVocab);
  const owned: tf.Tensor[] = [];
  try {
    let perTokenLoss: number[] = [];
    let logits: tf.Tensor3D;
    if (ids.length >= 2) {
      const both = model.forward([ids], { returnType: 'both', perTokenLoss: true });
      owned.push(both.logits, both.loss);
      logits = both.logits;
      perTokenLoss = Array.from(await both.loss.data());
    } else {
      logits = model.forward([ids]);
      owned.push(logits);
    }
    const { probs, values, indices } = tf.tidy(() => {
      const row = logits.slice([0, position, 0], [1, 1, -1]).reshape([-1]) as tf.Tensor1D;
      const top = tf.topk(row, topK);
      return { probs: tf.softmax(row).gather(top.indices), values: top.values, indices: top.indices };
    });
    owned.push(probs, values, indices);
    const [p, v, i] = await Promise.all([probs.data(), values.data(), indices.data()]);
    const topIds = Array.from(i, Number);
    return {
      ids,
      tokens: tokenLabels(model, ids),
      unknown: unknownPositions(model, request.prompt, ids),
      position,
      top: topIds.map((id, k) => ({ ...tokenLabel(model, id, ids[position]), prob: p[k], logit: v[k] })),
      loss: perTokenLoss.length > 0 ? perTokenLoss.reduce((a, b) => a + b, 0) / perTokenLoss.length : null,
      perTokenLoss,
    };
  } finally {
    tf.dispose(owned);
  }
}
