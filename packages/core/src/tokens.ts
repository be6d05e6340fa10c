import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config.ts';

/** A batch of token ids: one row, several equal-length rows, or an int32 tensor [batch, pos]. */
export type TokensInput = readonly number[] | readonly (readonly number[])[] | tf.Tensor;

export class TokensError extends Error {
  override name = 'TokensError';
}

/** Checks and normalises tokens to rows: rectangular, in vocabulary, within n_ctx. */
export function tokenRows(tokens: TokensInput, config: ModelConfig, positionOffset = 0): number[][] {
  let rows: number[][];
  if (tokens instanceof tf.Tensor) {
    if (tokens.rank !== 2 && tokens.rank !== 1) throw new TokensError(`tokens tensor must be [batch, pos], got shape [${tokens.shape.join(', ')}]`);
    const array = tokens.arraySync() as number[] | number[][];
    rows = tokens.rank === 1 ? [array as number[]] : (array as number[][]);
  } else if (tokens.length > 0 && Array.isArray(tokens[0])) {
    rows = (tokens as readonly (readonly number[])[]).map((row) => [...row]);
  } else {
    rows = [[...(tokens as readonly number[])]];
  }
  if (rows.length === 0) throw new TokensError('tokens: empty batch');
  const length = rows[0].length;
  rows.forEach((row, index) => {
    if (!Array.isArray(row)) throw new TokensError(`tokens row ${index} is not an array`);
    if (row.length !== length) throw new TokensError(`ragged batch: row ${index} has ${row.length} tokens, row 0 has ${length} (pad them and pass an attentionMask)`);
    row.forEach((id, position) => {
      if (!Number.isInteger(id) || id < 0 || id >= config.dVocab) {
        throw new TokensError(`token id ${id} at row ${index}, position ${position} is out of range [0, ${config.dVocab})`);
      }
    });
  });
  if (length === 0) throw new TokensError('tokens: empty sequence');
  if (positionOffset + length > config.nCtx) {
    throw new TokensError(`sequence of ${positionOffset + length} tokens is longer than the model's context n_ctx = ${config.nCtx}`);
  }
  return rows;
}

/** Checks an attention mask against the token rows: same shape, 0/1, at least one real token per row. */
export function checkAttentionMask(mask: readonly (readonly number[])[], rows: number[][]): number[][] {
  if (mask.length !== rows.length) throw new TokensError(`attentionMask has ${mask.length} rows, tokens have ${rows.length}`);
  return mask.map((row, index) => {
    if (row.length !== rows[index].length) throw new TokensError(`attentionMask row ${index} has ${row.length} entries, tokens row has ${rows[index].length}`);
    if (row.some((value) => value !== 0 && value !== 1)) throw new TokensError(`attentionMask row ${index} must hold only 0 and 1`);
    if (!row.includes(1)) throw new TokensError(`attentionMask row ${index} has no real token`);
    return [...row];
  });
}

/** Position ids: the count of real tokens before each position, so left padding shifts nothing. */
export function positionIds(mask: number[][] | undefined, batch: number, length: number, offset: number): number[][] {
  return Array.from({ length: batch }, (_, row) => {
    let seen = 0;
    return Array.from({ length }, (_, position) => {
      if (!mask || mask[row][position]) seen++;
      return offset + Math.max(0, seen - 1);
    });
  });
}

/** Additive causal + key-padding mask [batch, 1, query, key]: 0 where attention is allowed, -Infinity elsewhere. */
export function attentionMaskBias(keyMask: number[][] | undefined, batch: number, queries: number, keys: number): tf.Tensor4D {
  return tf.tensor4d(attentionMaskBiasData(keyMask, batch, queries, keys), [batch, 1, queries, keys]);
}

/** attentionMaskBias' values, row-major. */
export function attentionMaskBiasData(keyMask: number[][] | undefined, batch: number, queries: number, keys: number): Float32Array {
  const past = keys - queries;
  const bias = new Float32Array(batch * queries * keys);
  for (let row = 0; row < batch; row++) {
    for (let query = 0; query < queries; query++) {
      for (let key = 0; key < keys; key++) {
        const allowed = key <= past + query && (!keyMask || keyMask[row][key] === 1);
        bias[(row * queries + query) * keys + key] = allowed ? 0 : -Infinity;
      }
    }
  }
  return bias;
}

/**
 * `bias` (attentionMaskBiasData's or a generation step's, [batch, 1, query, key]) with the keys a
 * sliding window of `window` positions leaves out masked too: the query at sequence index i
 * sees the keys at indices i - window + 1 … i, as Hugging Face's sliding-window overlay does
 * (indices count pads, which the key mask hides anyway). Queries sit at `firstQuery + q`;
 * `keyIndex` gives each key slot's sequence index.
 */
export function slidingWindowMaskBias(bias: Float32Array, batch: number, queries: number, window: number, firstQuery: number, keyIndex: (slot: number) => number = (slot) => slot): Float32Array {
  const keys = bias.length / (batch * queries);
  const windowed = bias.slice();
  for (let row = 0; row < batch; row++) {
    for (let query = 0; query < queries; query++) {
      for (let key = 0; key < keys; key++) {
        if (firstQuery + query - keyIndex(key) >= window) windowed[(row * queries + query) * keys + key] = -Infinity;
      }
    }
  }
  return windowed;
}
