import { describe, expect, it } from 'vitest';
import { cachedStepMaskBias, HostKeyValues, keyValueCapacity } from '../../src/engine/onnxKeyValues.ts';

const I = -Infinity;

describe('the onnx engine host key/value cache', () => {
  it('capacities are powers of two from 8, capped at n_ctx but never below the length', () => {
    expect([1, 8, 9, 16, 17, 33].map((length) => keyValueCapacity(length, 1024))).toEqual([8, 8, 16, 16, 32, 64]);
    expect(keyValueCapacity(17, 24)).toBe(24);
    expect(keyValueCapacity(30, 24)).toBe(30);
  });

  it('a step mask lets queries see the real past slots and earlier step keys only', () => {
    // past 2 of capacity 4, a 2-token step: keys are [p0 p1 empty empty s0 s1].
    expect(Array.from(cachedStepMaskBias(2, 4, 2))).toEqual([
      0, 0, I, I, 0, I,
      0, 0, I, I, 0, 0,
    ]);
    // No past: plain causal.
    expect(Array.from(cachedStepMaskBias(0, 0, 2))).toEqual([0, I, 0, 0]);
  });

  it('appends steps, growing the buffers and keeping what they held', () => {
    const cache = new HostKeyValues(2, 2, 64); // 2 layers, 2 values per position
    const step = (from: number, positions: number, layer: number, sign: number) =>
      Float32Array.from({ length: positions * 2 }, (_, i) => sign * (100 * layer + from * 2 + i));
    cache.append([step(0, 7, 0, 1), step(0, 7, 1, 1)], [step(0, 7, 0, -1), step(0, 7, 1, -1)]);
    expect([cache.length, cache.capacity]).toEqual([7, 8]);
    cache.append([step(7, 1, 0, 1), step(7, 1, 1, 1)], [step(7, 1, 0, -1), step(7, 1, 1, -1)]);
    expect([cache.length, cache.capacity]).toEqual([8, 8]);
    cache.append([step(8, 1, 0, 1), step(8, 1, 1, 1)], [step(8, 1, 0, -1), step(8, 1, 1, -1)]);
    expect([cache.length, cache.capacity]).toEqual([9, 16]);
    expect(cache.keys[1]!.length).toBe(32);
    expect(Array.from(cache.keys[1]!.subarray(0, 18))).toEqual(Array.from({ length: 18 }, (_, i) => 100 + i));
    expect(Array.from(cache.values[0]!.subarray(0, 18))).toEqual(Array.from({ length: 18 }, (_, i) => -i));
    expect(Array.from(cache.keys[0]!.subarray(18))).toEqual(new Array(14).fill(0));
  });
});
