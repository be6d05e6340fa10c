/**
 * POST /api/attention: one layer's full attention patterns ([head][query][key]) and/or a small
 * average-pooled thumbnail of every head. Both are taken inside a hook on hook_pattern, so no
 * full [layer, head, pos, pos] cache is ever held: thumbnails stay cheap on long prompts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import type { AttentionRequest, AttentionResponse } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import type { ModelCall } from '../modelRoute.ts';
import { forwardBytes } from '../modelRoute.ts';
import { promptIds, tokenLabels, unknownPositions } from '../prompt.ts';

const DEFAULT_THUMBNAIL = 32;

export const attention: ModelCall<AttentionRequest, AttentionResponse> = (model, request) => {
  const { nLayers, nHeads } = model.config;
  const { layer, thumbnails } = request;
  if (layer === undefined && !thumbnails) throw new HttpError(400, 'layer: give a layer, or thumbnails: true (or both)', { field: 'layer' });
  if (layer !== undefined && layer >= nLayers) throw new HttpError(400, `layer: ${layer} is out of range [0, ${nLayers})`, { field: 'layer' });
  if (layer === undefined && request.heads) throw new HttpError(400, 'heads: needs a layer', { field: 'heads' });
  const heads = request.heads ?? Array.from({ length: nHeads }, (_, h) => h);
  heads.forEach((head, i) => {
    if (head >= nHeads) throw new HttpError(400, `heads.${i}: ${head} is out of range [0, ${nHeads})`, { field: `heads.${i}` });
  });
  const ids = promptIds(model, request.prompt, request.prependBos);
  const length = ids.length;
  const size = Math.min(request.thumbnailSize ?? DEFAULT_THUMBNAIL, length);
  return {
    cost: {
      tensorBytes: [forwardBytes(model, [1, length], 'prompt')],
      replyValues: [
        { field: 'prompt', amount: 2 * length },
        ...(layer !== undefined ? [{ field: 'heads', amount: heads.length * length * length, detail: `${heads.length} heads × ${length} × ${length} queries and keys` }] : []),
        ...(thumbnails ? [{ field: 'thumbnailSize', amount: nLayers * nHeads * size * size, detail: `${nLayers * nHeads} heads × ${size} × ${size}` }] : []),
      ],
    },
    run: () => patterns(model, ids, unknownPositions(model, request.prompt, ids), layer, heads, thumbnails ? size : undefined),
  };
};

/** The full patterns of `heads` at `layer` (when given) and every head's `size` × `size` thumbnail (when given). */
async function patterns(model: HookedTransformer, ids: number[], unknown: AttentionResponse['unknown'], layer: number | undefined, heads: number[], size: number | undefined): Promise<AttentionResponse> {
  const { nLayers } = model.config;
  const length = ids.length;
  const kept: tf.Tensor[] = [];
  let full: tf.Tensor | undefined;
  const thumbs = new Map<number, tf.Tensor>();
  try {
    const pool = size !== undefined ? tf.keep(poolingMatrix(length, size)) : undefined;
    if (pool) kept.push(pool);
    const logits = model.runWithHooks([ids], {
      fwdHooks: [[(name) => /^blocks\.\d+\.attn\.hook_pattern$/.test(name), (pattern, hook) => {
        const l = Number(hook.name.split('.')[1]);
        const byHead = pattern.squeeze([0]) as tf.Tensor3D; // [head, query, key]
        if (l === layer) {
          full = tf.keep(byHead.gather(heads, 0));
          kept.push(full);
        }
        if (pool) {
          const thumb = tf.keep(poolPatterns(byHead, pool));
          thumbs.set(l, thumb);
          kept.push(thumb);
        }
      }]],
    });
    logits.dispose();
    const response: AttentionResponse = { tokens: tokenLabels(model, ids), ids, unknown };
    if (layer !== undefined && full) {
      response.layer = layer;
      response.heads = heads;
      response.patterns = (await full.array()) as number[][][];
    }
    if (pool && size !== undefined) {
      const data: number[][][][] = [];
      for (let l = 0; l < nLayers; l++) data.push((await thumbs.get(l)!.array()) as number[][][]);
      response.thumbnails = { size, data };
    }
    return response;
  } finally {
    tf.dispose(kept);
  }
}

/** [size, length]: row a averages the positions floor(a·length/size) … floor((a+1)·length/size) − 1. */
function poolingMatrix(length: number, size: number): tf.Tensor2D {
  const values = new Float32Array(size * length);
  for (let a = 0; a < size; a++) {
    const start = Math.floor((a * length) / size);
    const end = Math.floor(((a + 1) * length) / size);
    for (let i = start; i < end; i++) values[a * length + i] = 1 / (end - start);
  }
  return tf.tensor2d(values, [size, length]);
}

/** [head, q, k] → [head, size, size]: R · pattern · Rᵀ for every head. */
function poolPatterns(patterns: tf.Tensor3D, pool: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [heads, length] = patterns.shape;
    const size = pool.shape[0];
    const keysPooled = patterns.reshape([heads * length, length]).matMul(pool, false, true).reshape([heads, length, size]);
    const both = keysPooled.transpose([0, 2, 1]).reshape([heads * size, length]).matMul(pool, false, true).reshape([heads, size, size]);
    return both.transpose([0, 2, 1]) as tf.Tensor3D;
  });
}
