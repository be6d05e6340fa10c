/** POST /api/tokenize and POST /api/run: the prompt's tokens, next-token top-k and loss. */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import type { RunRequest, RunResponse, TokenizeRequest, TokenizeResponse } from '../../api/index.ts';
import type { ModelCall } from '../modelRoute.ts';
import { forwardBytes } from '../modelRoute.ts';
import { promptIds, resolvePosition, tokenLabel, tokenLabels, unknownPositions } from '../prompt.ts';

const DEFAULT_TOP_K = 10;

export const tokenize: ModelCall<TokenizeRequest, TokenizeResponse> = (model, request) => {
  const ids = promptIds(model, request.prompt, request.prependBos);
  return {
    cost: { tensorBytes: [], replyValues: [{ field: 'prompt', amount: 2 * ids.length + 1 }] },
    run: () => ({ ids, tokens: tokenLabels(model, ids), unknown: unknownPositions(model, request.prompt, ids), nCtx: model.config.nCtx }),
  };
};

export const run: ModelCall<RunRequest, RunResponse> = (model, request) => {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const position = resolvePosition(request.position, ids.length);
  const topK = Math.min(request.topK ?? DEFAULT_TOP_K, model.config.dVocab);
  return {
    cost: {
      tensorBytes: [forwardBytes(model, [1, ids.length], 'prompt')],
      replyValues: [{ field: 'prompt', amount: 3 * ids.length + 2 }, { field: 'topK', amount: 3 * topK }],
    },
    run: () => predict(model, ids, unknownPositions(model, request.prompt, ids), position, topK),
  };
};

async function predict(model: HookedTransformer, ids: number[], unknown: RunResponse['unknown'], position: number, topK: number): Promise<RunResponse> {
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
      unknown,
      position,
      top: topIds.map((id, k) => ({ ...tokenLabel(model, id, ids[position]), prob: p[k], logit: v[k] })),
      loss: perTokenLoss.length > 0 ? perTokenLoss.reduce((a, b) => a + b, 0) / perTokenLoss.length : null,
      perTokenLoss,
    };
  } finally {
    tf.dispose(owned);
  }
}
