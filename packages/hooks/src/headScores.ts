/**
 * Head-type scores on repeated random tokens (head types after Olsson et al. 2022): each
 * sequence is `seqLen` random tokens repeated twice (after BOS when the model prepends one
 * by default), run once, and every head's attention pattern is scored:
 *   previous-token: mean attention from position i to i − 1 (every i ≥ 1);
 *   duplicate-token: mean attention from a second-copy token to the same token in the first copy;
 *   induction: mean attention from a second-copy token to the position right after its
 *     earlier occurrence (i − seqLen + 1).
 * Scores are means of attention probabilities over the queries each is defined on, so they
 * lie in [0, 1] and a perfect head scores 1. TransformerLens' detect_head ("mul") divides
 * the same attention by every query position instead (a perfect induction head scores about
 * 0.5 there); see README, Differences from TransformerLens.
 *
 * @example
 * import { loadModel, initBackend } from '@hooklens/core';
 * import { headScores } from '@hooklens/hooks';
 * await initBackend();
 * const model = await loadModel('packages/core/models/toy-induction'); // from the repository root
 * const scores = await headScores(model, { seqLen: 20, batch: 8 });
 * console.log(scores.induction); // [layer][head]: [[0.00], [0.70]]: L1H0 is the induction head
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { ToolInputError } from './tokens.ts';

export interface RepeatedTokensOptions {
  /** Length of the random sequence that is repeated (default: 50, or what fits the context). */
  seqLen?: number;
  /** Number of sequences (default 8). */
  batch?: number;
  seed?: number;
  /** Default: the model's convention (config.defaultPrependBos). */
  prependBos?: boolean;
}

export interface RepeatedTokens {
  /** [batch][bos + 2·seqLen] */
  tokens: number[][];
  seqLen: number;
  batch: number;
  /** Position of the first random token: 1 after BOS, else 0. */
  offset: number;
}

export interface HeadScores {
  previousToken: number[][];
  duplicateToken: number[][];
  induction: number[][];
  seqLen: number;
  batch: number;
}

const DEFAULT_SEQ_LEN = 50;
const DEFAULT_BATCH = 8;

/**
 * `batch` rows of `seqLen` random tokens repeated twice. Special tokens (BOS, EOS, PAD) are
 * never drawn, and a row's tokens are distinct when the vocabulary allows, so every
 * second-copy token has exactly one earlier occurrence and the scores are unambiguous.
 */
export function repeatedRandomTokens(model: HookedTransformer, options: RepeatedTokensOptions = {}): RepeatedTokens {
  const { nCtx, dVocab } = model.config;
  const prependBos = options.prependBos ?? model.config.defaultPrependBos;
  const offset = prependBos ? 1 : 0;
  const seqLen = options.seqLen ?? Math.min(DEFAULT_SEQ_LEN, Math.floor((nCtx - offset) / 2));
  const batch = options.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new ToolInputError(`seqLen must be an integer >= 2, got ${seqLen}`);
  if (!Number.isInteger(batch) || batch < 1) throw new ToolInputError(`batch must be a positive integer, got ${batch}`);
  if (offset + 2 * seqLen > nCtx) {
    throw new ToolInputError(`seqLen ${seqLen} repeated twice${offset ? ' after BOS' : ''} is ${offset + 2 * seqLen} tokens, more than the model's context n_ctx = ${nCtx}; use seqLen <= ${Math.floor((nCtx - offset) / 2)}`);
  }
  const tokenizer = model.tokenizer;
  const bos = tokenizer?.bosTokenId ?? model.config.bosTokenId;
  if (prependBos && bos === undefined) throw new ToolInputError('the model has no BOS token; use prependBos: false');
  const special = new Set([bos, tokenizer?.eosTokenId ?? model.config.eosTokenId, tokenizer?.padTokenId ?? model.config.padTokenId]);
  const vocab = Math.min(dVocab, tokenizer?.vocabSize ?? dVocab);
  const candidates = Array.from({ length: vocab }, (_, id) => id).filter((id) => !special.has(id));
  if (candidates.length < 2) throw new ToolInputError(`the model's vocabulary has ${candidates.length} ordinary tokens; random sequences need at least 2`);
  const random = seededRandom(options.seed ?? 0);
  const distinct = candidates.length >= seqLen;
  const tokens = Array.from({ length: batch }, () => {
    let sequence: number[];
    if (distinct) {
      // Partial Fisher–Yates: the first seqLen entries become a uniform draw without replacement.
      const pool = [...candidates];
      for (let i = 0; i < seqLen; i++) {
        const j = i + Math.floor(random() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      sequence = pool.slice(0, seqLen);
    } else {
      sequence = Array.from({ length: seqLen }, () => candidates[Math.floor(random() * candidates.length)]);
    }
    return [...(prependBos ? [bos!] : []), ...sequence, ...sequence];
  });
  return { tokens, seqLen, batch, offset };
}

/** Previous-token, duplicate-token and induction scores of every head, [layer][head]. */
export async function headScores(model: HookedTransformer, options: RepeatedTokensOptions = {}): Promise<HeadScores> {
  const { tokens, seqLen, batch, offset } = repeatedRandomTokens(model, options);
  const length = tokens[0].length;
  const { nLayers, nHeads } = model.config;
  const weights = scoreWeights(length, seqLen, offset);
  const perLayer = new Map<number, tf.Tensor>();
  try {
    // Score inside the hook ([head, 3] per layer) rather than caching every [batch, head, pos, pos] pattern.
    const logits = model.withHooks([[(name) => /^blocks\.\d+\.attn\.hook_pattern$/.test(name), (pattern, hook) => {
      const layer = Number(hook.name.split('.')[1]);
      const scores = pattern.mean(0).reshape([nHeads, length * length]).matMul(weights);
      perLayer.set(layer, tf.keep(scores));
    }]], () => model.forward(tokens, { unembedPositions: [length - 1] }));
    logits.dispose();
    const grids = { previousToken: [] as number[][], duplicateToken: [] as number[][], induction: [] as number[][] };
    for (let layer = 0; layer < nLayers; layer++) {
      const scores = (await perLayer.get(layer)!.array()) as number[][]; // [head][kind]
      grids.previousToken.push(scores.map((row) => clamp01(row[0])));
      grids.duplicateToken.push(scores.map((row) => clamp01(row[1])));
      grids.induction.push(scores.map((row) => clamp01(row[2])));
    }
    return { ...grids, seqLen, batch };
  } finally {
    tf.dispose([weights, ...perLayer.values()]);
  }
}

/**
 * [query·key, 3]: for each score, weight 1/count on the (query, key) pairs it averages, so
 * pattern (flattened) × weights is the mean attention on those pairs.
 */
function scoreWeights(length: number, seqLen: number, offset: number): tf.Tensor2D {
  const pairs: [number, number][][] = [[], [], []];
  for (let query = 1; query < length; query++) pairs[0].push([query, query - 1]);
  for (let j = 0; j < seqLen; j++) {
    const query = offset + seqLen + j;
    pairs[1].push([query, offset + j]);
    pairs[2].push([query, offset + j + 1]);
  }
  const data = new Float32Array(length * length * 3);
  pairs.forEach((list, kind) => {
    for (const [query, key] of list) data[(query * length + key) * 3 + kind] = 1 / list.length;
  });
  return tf.tensor2d(data, [length * length, 3]);
}

/** Float rounding can put a mean of probabilities a hair outside [0, 1]. */
function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
