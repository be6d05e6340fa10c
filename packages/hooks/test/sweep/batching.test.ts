import { describe, expect, it } from 'vitest';
import { chunk, DEFAULT_BATCH_BYTES, forwardBytesPerRow, groupBy, MAX_DEFAULT_BATCH, resolveBatchSize } from '../../src/sweep/batching.ts';
import { tinyConfig } from '@hooklens/core/testing';

describe('sweep batching helpers', () => {
  it('groupBy keeps first-seen key order and item order', () => {
    const groups = groupBy([{ l: 1, i: 0 }, { l: 0, i: 1 }, { l: 1, i: 2 }], (x) => x.l);
    expect([...groups.keys()]).toEqual([1, 0]);
    expect(groups.get(1)!.map((x) => x.i)).toEqual([0, 2]);
  });

  it('chunk cuts into slices of at most size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('resolveBatchSize checks a requested size and otherwise fits the memory budget', () => {
    expect(resolveBatchSize(7, 1e9)).toBe(7);
    expect(() => resolveBatchSize(0, 1)).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => resolveBatchSize(1.5, 1)).toThrow(/positive integer/);
    expect(resolveBatchSize(undefined, 1)).toBe(MAX_DEFAULT_BATCH);
    expect(resolveBatchSize(undefined, DEFAULT_BATCH_BYTES / 4)).toBe(4);
    expect(resolveBatchSize(undefined, DEFAULT_BATCH_BYTES * 10)).toBe(1);
  });

  it('forwardBytesPerRow grows with positions, unembedded positions and blocks run', () => {
    const config = tinyConfig();
    expect(forwardBytesPerRow(config, 8)).toBeGreaterThan(forwardBytesPerRow(config, 4));
    expect(forwardBytesPerRow(config, 8, 8)).toBeGreaterThan(forwardBytesPerRow(config, 8, 1));
    // By hand for d_model 16, d_mlp 32, 4 heads, vocab 23: per position and block 40·16 + 9·32 + 4·4·8 = 1 056
    // values; 2 blocks × 8 positions = 16 896, plus 1 position of logits (23): 16 919 × 4 bytes.
    expect(forwardBytesPerRow(config, 8, 1, 2)).toBe(67_676);
    expect(forwardBytesPerRow(config, 8, 1)).toBe(forwardBytesPerRow(config, 8, 1, config.nLayers)); // default: every block
  });
});
