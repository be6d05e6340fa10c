/**
 * Helpers for running many small model runs as a few batched ones: grouping cells that can
 * share a forward pass, cutting groups into batches, and choosing a batch size from memory.
 *
 * @example
 * const byLayer = groupBy(cells, (cell) => cell.layer);           // one startAtLayer per batch
 * for (const [layer, group] of byLayer) for (const batch of chunk(group, 32)) run(layer, batch);
 */
import type { ModelConfig } from '@hooklens/core';
import { ToolInputError } from '../tokens.ts';

/** Groups items by key, keeping first-seen key order and each group's item order. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Consecutive slices of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Bytes one batch row of a forward pass keeps alive at its peak (float32), roughly. The core's
 * forward is one tf.tidy, so each block's intermediates (norms, q/k/v, scores and pattern, the
 * MLP's hidden layer and its activation steps) stay allocated until it returns: per position
 * and block about 40·d_model + 9·d_mlp + 4·n_heads·positions values, measured on the WASM
 * backend for LayerNorm/GELU and RMSNorm/gated-SiLU blocks (GPT-2 small: ~50 000, i.e. ~150 MB
 * for a 64-token row through all 12 blocks). Plus the unembedded logits. `layers`: how many
 * blocks the row runs (a run starting at layer L runs nLayers − L).
 */
export function forwardBytesPerRow(config: ModelConfig, positions: number, unembeddedPositions = positions, layers = config.nLayers): number {
  const { dModel, dMlp, nHeads, dVocab } = config;
  const perPositionPerBlock = 40 * dModel + 9 * (config.attnOnly ? 0 : dMlp) + 4 * nHeads * positions;
  return 4 * (layers * positions * perPositionPerBlock + unembeddedPositions * dVocab);
}

/**
 * About how much memory one sweep batch may use when the caller does not choose a batch size:
 * 1 GiB leaves room for a GPT-2-sized model's weights and caches in the WASM backend's 4 GiB.
 */
export const DEFAULT_BATCH_BYTES = 2 ** 30;
export const MAX_DEFAULT_BATCH = 32;

/**
 * `requested` if given (checked), else the largest batch up to MAX_DEFAULT_BATCH whose
 * activations fit in DEFAULT_BATCH_BYTES (at least 1).
 */
export function resolveBatchSize(requested: number | undefined, bytesPerRow: number): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new ToolInputError(`batchSize must be a positive integer, got ${requested}`);
    return requested;
  }
  return Math.max(1, Math.min(MAX_DEFAULT_BATCH, Math.floor(DEFAULT_BATCH_BYTES / Math.max(1, bytesPerRow))));
}
