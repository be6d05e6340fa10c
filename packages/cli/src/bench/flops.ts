import type { ModelConfig } from '@hooklens/core';

/**
 * Matmul FLOPs of one forward pass over `batch` rows of `positions` tokens (multiply-add = 2):
 * per token per layer 2·(4·d² + 2·d·d_mlp) for Q, K, V, O and the MLP, plus 2·2·p·d for the
 * attention scores and the weighted sum of values, plus 2·d·V for the unembedding.
 */
export function forwardFlops(config: ModelConfig, batch: number, positions: number): number {
  const { dModel: d, dMlp, dVocab, nLayers } = config;
  const perTokenPerLayer = 2 * (4 * d * d + 2 * d * dMlp) + 2 * 2 * positions * d;
  return batch * positions * (nLayers * perTokenPerLayer + 2 * d * dVocab);
}

/** FLOPs of an [m, k] @ [k, n] matmul. */
export function matmulFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}
