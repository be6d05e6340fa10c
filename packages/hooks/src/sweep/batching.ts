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

/** Bytes one batch row of a forward pass keeps alive at its peak, roughly (float32). */
export function forwardBytesPerRow(config: ModelConfig, positions: number, unembeddedPositions = positions): number {
  const { dModel, dMlp, nHeads, dVocab } = config;
  // Residual, norms, q/k/v/z and attention output (~8 × d_model), the MLP hidden layer (× 2
  // for pre/post), scores and pattern per head, and the unembedded logits.
  const perPosition = 8 * dModel + 2 * (config.attnOnly ? 0 : dMlp) + 2 * nHeads * positions;
  return 4 * (positions * perPosition + unembeddedPositions * dVocab);
}

/** About how much memory one sweep batch may use when the caller does not choose a batch size. */
export const DEFAULT_BATCH_BYTES = 256 * 2 ** 20;
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
