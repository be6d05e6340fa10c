/**
 * The logit lens (nostalgebraist, 2020): read the residual stream at every layer boundary
 * as if it were the final one — final norm, then unembedding — to see what the model
 * "would predict" after each layer.
 *
 * The norm is computed fresh from each residual (its own mean and scale, with ln_final's
 * weight and bias), exactly as the model normalises its final residual; so the last row,
 * the final residual, is the model's own next-token distribution.
 *
 * Returns plain data (labels, numbers), ready to print or send as JSON. Nothing is left
 * allocated.
 *
 * @example
 * const model = await loadModel('packages/core/models/toy-ioi'); // from the repository root
 * const lens = logitLens(model, model.toTokens('When Mary and John went to the store , John gave a drink to'), { topK: 3 });
 * lens.layers.forEach((layer, i) => console.log(layer, lens.top[i].map((k) => k[0].token)));
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import { ToolInputError } from './tokens.ts';

export interface LogitLensOptions {
  /** How many of the most likely next tokens to list per layer and position (default 5). */
  topK?: number;
  /** A token id whose probability, logit and rank to follow through the layers. */
  target?: number;
  /** Include the final residual (the model's own prediction) as the last row (default true). */
  includeFinal?: boolean;
}

export interface LensToken {
  token: string;
  id: number;
  prob: number;
}

export interface LensTarget {
  prob: number;
  /** How many tokens have a strictly higher logit: 0 = the top prediction. */
  rank: number;
  logit: number;
}

export interface LogitLensResult {
  /** The residual read at each row: blocks.L.hook_resid_pre, then blocks.{n-1}.hook_resid_post (final). */
  layers: string[];
  /** The prompt's tokens (model.toStrTokens; '#id' without a tokenizer). */
  positions: string[];
  tokenIds: number[];
  /** [layer][pos][k]: the k most likely next tokens, most likely first. */
  top: LensToken[][][];
  /** [layer][pos], only when `target` is given. */
  target?: LensTarget[][];
  /** [layer][pos]: entropy of the next-token distribution, in nats. */
  entropy: number[][];
  /** [layer][pos]: KL(final ‖ layer) in nats: how far this layer's reading is from the model's output. */
  klToFinal: number[][];
}

/** Logit lens over one prompt (token ids, BOS included if wanted). */
export function logitLens(model: HookedTransformer, tokens: readonly number[], options: LogitLensOptions = {}): LogitLensResult {
  const { nLayers, dVocab, dModel } = model.config;
  const topK = options.topK ?? 5;
  const includeFinal = options.includeFinal ?? true;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new ToolInputError('logitLens needs one prompt of at least one token id');
  if (!Number.isInteger(topK) || topK < 1 || topK > dVocab) throw new ToolInputError(`topK must be an integer in [1, ${dVocab}], got ${topK}`);
  const target = options.target;
  if (target !== undefined && (!Number.isInteger(target) || target < 0 || target >= dVocab)) throw new ToolInputError(`target token id ${target} is out of range [0, ${dVocab})`);

  const residNames = [...Array.from({ length: nLayers }, (_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${nLayers - 1}.hook_resid_post`];
  const wanted = new Set(residNames);
  // The lens unembeds the final residual itself, so the model's own unembedding is cut to one position.
  const { logits: modelLogits, cache } = model.runWithCache([...tokens], { names: (name: string) => wanted.has(name), unembedPositions: [0] });
  modelLogits.dispose();
  const rows = includeFinal ? residNames.length : nLayers;
  const length = tokens.length;
  let arrays: { topProbs: Float32Array; topIds: Int32Array; entropy: Float32Array; kl: Float32Array; target?: Float32Array[] };
  try {
    arrays = tf.tidy(() => {
      // Every layer boundary at once: [layers + 1, pos, d_model] → [layers + 1, pos, vocab].
      const residual = tf.concat(residNames.map((name) => cache.get<tf.Tensor3D>(name)), 0).reshape([-1, dModel]) as tf.Tensor2D;
      const allLogits = unembedNormalized(model, residual);
      const allLogProbs = tf.logSoftmax(allLogits);
      const finalLog = allLogProbs.slice([nLayers * length, 0], [length, dVocab]); // the model's own prediction
      const logits = allLogits.slice([0, 0], [rows * length, dVocab]);
      const logProbs = allLogProbs.slice([0, 0], [rows * length, dVocab]);
      const probs = tf.exp(logProbs);
      const { values, indices } = tf.topk(probs, topK);
      const entropy = probs.mul(logProbs).sum(-1).neg();
      const finalRows = finalLog.tile([rows, 1]);
      const kl = tf.exp(finalRows).mul(finalRows.sub(logProbs)).sum(-1); // KL(final ‖ layer)
      const out: typeof arrays = {
        topProbs: values.dataSync() as Float32Array,
        topIds: indices.dataSync() as Int32Array,
        entropy: entropy.dataSync() as Float32Array,
        kl: kl.dataSync() as Float32Array,
      };
      if (target !== undefined) {
        const targetLogit = logits.slice([0, target], [-1, 1]); // [rows·pos, 1]
        const rank = logits.greater(targetLogit).cast('float32').sum(-1);
        out.target = [probs.slice([0, target], [-1, 1]).reshape([-1]), targetLogit.reshape([-1]), rank].map((t) => t.dataSync() as Float32Array);
      }
      return out;
    });
  } finally {
    cache.dispose();
  }

  const grid = <T>(make: (index: number) => T): T[][] => Array.from({ length: rows }, (_, r) => Array.from({ length }, (_, p) => make(r * length + p)));
  const result: LogitLensResult = {
    layers: residNames.slice(0, rows),
    positions: model.tokenizer ? model.toStrTokens(tokens) : tokens.map((id) => `#${id}`),
    tokenIds: [...tokens],
    top: grid((i) => Array.from({ length: topK }, (_, k) => {
      const id = arrays.topIds[i * topK + k];
      return { token: nextTokenString(model, id, tokens[i % length]), id, prob: arrays.topProbs[i * topK + k] };
    })),
    entropy: grid((i) => arrays.entropy[i]),
    klToFinal: grid((i) => Math.max(0, arrays.kl[i])),
  };
  if (arrays.target) {
    const [prob, logit, rank] = arrays.target;
    result.target = grid((i) => ({ prob: prob[i], rank: rank[i], logit: logit[i] }));
  }
  return result;
}

/**
 * ln_final as the model applies it, with statistics from each row itself, then W_U (+ b_U):
 * [rows, d_model] → [rows, vocab].
 */
function unembedNormalized(model: HookedTransformer, residual: tf.Tensor2D): tf.Tensor2D {
  const centred = model.config.normType === 'layernorm' ? residual.sub(residual.mean(-1, true)) : residual;
  let normed = centred.div(centred.square().mean(-1, true).add(model.config.eps).sqrt()).mul(model.parameter<tf.Tensor1D>('ln_final.w')) as tf.Tensor2D;
  if (model.hasParameter('ln_final.b')) normed = normed.add(model.parameter<tf.Tensor1D>('ln_final.b'));
  const logits = tf.matMul<tf.Tensor2D>(normed, model.parameter<tf.Tensor2D>('unembed.W_U'));
  return model.hasParameter('unembed.b_U') ? logits.add<tf.Tensor2D>(model.parameter<tf.Tensor1D>('unembed.b_U')) : logits;
}

/** A predicted token's text as it would read after `previous` ('#id' without a tokenizer). */
function nextTokenString(model: HookedTransformer, id: number, previous: number): string {
  return model.tokenizer ? model.toSingleStrToken(id, previous) : `#${id}`;
}
