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
import type { HookedTransformer, HookName } from '@hooklens/core';
import { ToolInputError } from './tokens.ts';

export interface LogitLensOptions {
  /** How many of the most likely next tokens to list per layer and position (default 5). */
  topK?: number;
  /** A token id whose probability, logit and rank to follow through the layers. */
  target?: number;
  /** Include the final residual (the model's own prediction) as the last row (default true). */
  includeFinal?: boolean;
  /**
   * Bytes of logits scored at once (default LENS_CHUNK_BYTES): positions are read in chunks so
   * long prompts on large vocabularies fit in memory. Results do not depend on it.
   */
  chunkBytes?: number;
}

/** Default logits per chunk: 32 MiB (12 positions of a GPT-2-sized model); the peak is several times this. */
export const LENS_CHUNK_BYTES = 32 * 2 ** 20;

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
  const { nLayers, dVocab } = model.config;
  const topK = options.topK ?? 5;
  const includeFinal = options.includeFinal ?? true;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new ToolInputError('logitLens needs one prompt of at least one token id');
  if (!Number.isInteger(topK) || topK < 1 || topK > dVocab) throw new ToolInputError(`topK must be an integer in [1, ${dVocab}], got ${topK}`);
  const target = options.target;
  if (target !== undefined && (!Number.isInteger(target) || target < 0 || target >= dVocab)) throw new ToolInputError(`target token id ${target} is out of range [0, ${dVocab})`);
  const chunkBytes = options.chunkBytes ?? LENS_CHUNK_BYTES;
  if (!(chunkBytes > 0)) throw new ToolInputError(`chunkBytes must be a positive number, got ${chunkBytes}`);

  const residNames: HookName[] = [...Array.from({ length: nLayers }, (_, l): HookName => `blocks.${l}.hook_resid_pre`), `blocks.${nLayers - 1}.hook_resid_post`];
  const wanted = new Set(residNames);
  // The lens unembeds the final residual itself, so the model's own unembedding is cut to one position.
  const { logits: modelLogits, cache } = model.runWithCache([...tokens], { names: (name) => wanted.has(name), unembedPositions: [0] });
  modelLogits.dispose();
  const rows = includeFinal ? residNames.length : nLayers;
  const length = tokens.length;
  const cells = rows * length;
  const arrays: LensArrays = {
    topProbs: new Float32Array(cells * topK),
    topIds: new Int32Array(cells * topK),
    entropy: new Float32Array(cells),
    kl: new Float32Array(cells),
    ...(target !== undefined && { target: [new Float32Array(cells), new Float32Array(cells), new Float32Array(cells)] }),
  };
  try {
    // A position's reading at every layer boundary is (nLayers + 1) vocabulary-sized rows, and about
    // ten tensors that size are alive while they are scored: positions go in chunks whose logits fit
    // the budget, so memory stays bounded however long the prompt.
    const positionsPerChunk = Math.max(1, Math.floor(chunkBytes / (residNames.length * dVocab * 4)));
    const residuals = residNames.map((name) => cache.get<tf.Tensor3D>(name));
    for (let start = 0; start < length; start += positionsPerChunk) {
      lensChunk(model, residuals, start, Math.min(positionsPerChunk, length - start), rows, topK, target, arrays);
    }
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

interface LensArrays {
  /** [layer·pos·k] */
  topProbs: Float32Array;
  topIds: Int32Array;
  /** [layer·pos] */
  entropy: Float32Array;
  kl: Float32Array;
  /** [layer·pos] each: the target's probability, logit and rank. */
  target?: [Float32Array, Float32Array, Float32Array];
}

/**
 * Scores positions [start, start + count) at every layer boundary (`residuals`: each boundary's
 * [1, pos, d_model]) and writes them into `out`, indexed layer·length + position, first `rows` layers.
 */
function lensChunk(model: HookedTransformer, residuals: tf.Tensor3D[], start: number, count: number, rows: number, topK: number, target: number | undefined, out: LensArrays): void {
  const { nLayers, dVocab, dModel } = model.config;
  const length = residuals[0].shape[1];
  const scored = tf.tidy(() => {
    // [layers + 1, count, d_model] → [(layers + 1)·count, vocab], layer-major.
    const residual = tf.concat(residuals.map((r) => r.slice([0, start, 0], [1, count, dModel])), 0).reshape([-1, dModel]) as tf.Tensor2D;
    const allLogits = model.unembedResidual(residual);
    const allLogProbs = tf.logSoftmax(allLogits);
    const finalLog = allLogProbs.slice([nLayers * count, 0], [count, dVocab]); // the model's own prediction
    const finalProbs = tf.exp(finalLog);
    const logits = rows === nLayers + 1 ? allLogits : allLogits.slice([0, 0], [rows * count, dVocab]);
    const logProbs = rows === nLayers + 1 ? allLogProbs : allLogProbs.slice([0, 0], [rows * count, dVocab]);
    const probs = tf.exp(logProbs);
    const { values, indices } = tf.topk(probs, topK);
    const entropy = probs.mul(logProbs).sum(-1).neg();
    // KL(final ‖ layer) = Σ p_final·(log p_final − log p_layer), the final rows broadcast over the layers
    // (one sum, not a difference of two entropy-sized sums, which would cancel away float32 digits).
    const kl = finalLog.sub(logProbs.reshape([rows, count, dVocab])).mul(finalProbs).sum(-1); // [rows, count]
    const scores = [values, indices, entropy, kl];
    if (target !== undefined) {
      const targetLogit = logits.slice([0, target], [-1, 1]); // [rows·count, 1]
      // step(logit − target) counts the strictly higher logits; `greater` with a broadcast column is ~30× slower on WASM.
      const rank = tf.step(logits.sub(targetLogit)).sum(-1);
      scores.push(probs.slice([0, target], [-1, 1]).reshape([-1]), targetLogit.reshape([-1]), rank);
    }
    return scores;
  });
  try {
    const [topProbs, topIds, entropy, kl, ...targetValues] = scored.map((t) => t.dataSync());
    for (let r = 0; r < rows; r++) {
      const from = r * count;
      const to = r * length + start;
      out.topProbs.set(topProbs.subarray(from * topK, (from + count) * topK), to * topK);
      out.topIds.set(topIds.subarray(from * topK, (from + count) * topK), to * topK);
      out.entropy.set(entropy.subarray(from, from + count), to);
      out.kl.set(kl.subarray(from, from + count), to);
      out.target?.forEach((array, i) => array.set(targetValues[i].subarray(from, from + count), to));
    }
  } finally {
    tf.dispose(scored);
  }
}

/** A predicted token's text as it would read after `previous` ('#id' without a tokenizer). */
function nextTokenString(model: HookedTransformer, id: number, previous: number): string {
  return model.tokenizer ? model.toSingleStrToken(id, previous) : `#${id}`;
}
