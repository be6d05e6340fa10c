import { describe, expect, it } from 'vitest';
import type { LensResponse } from '../../src/api/index.ts';
import { gridDifference, lensRowLabel, lensStat } from '../../src/client/lib/lensStats.ts';

function lens(targetLogits?: number[][]): LensResponse {
  const top = [[[{ token: 'a', id: 1, prob: 0.6 }], [{ token: 'b', id: 2, prob: 0.3 }]], [[{ token: 'c', id: 3, prob: 0.9 }], [{ token: 'd', id: 4, prob: 0.2 }]]];
  return {
    layers: ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post'],
    positions: ['x', 'y'],
    tokenIds: [5, 6],
    top,
    entropy: [[1, 2], [3, 4]],
    klToFinal: [[0.5, 0.25], [0, 0]],
    ...(targetLogits && { target: targetLogits.map((row) => row.map((logit, i) => ({ prob: 0.1 * (i + 1), rank: i, logit }))) }),
  };
}

describe('logit lens statistics', () => {
  it('reads top probability, entropy and KL straight from the response', () => {
    expect(lensStat({ lens: lens() }, 'top')).toEqual([[0.6, 0.3], [0.9, 0.2]]);
    expect(lensStat({ lens: lens() }, 'entropy')).toEqual([[1, 2], [3, 4]]);
    expect(lensStat({ lens: lens() }, 'kl')).toEqual([[0.5, 0.25], [0, 0]]);
  });

  it('needs a target for probability and rank, and two targets for the logit difference', () => {
    expect(lensStat({ lens: lens() }, 'target')).toMatch(/answer/);
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]) }, 'rank')).toEqual([[0, 1], [0, 1]]);
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]) }, 'logitdiff')).toMatch(/wrong/);
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]), wrong: lens([[0.5, 2], [5, 1]]) }, 'logitdiff')).toEqual([[0.5, 0], [-2, 3]]);
  });

  it('differences only grids of the same shape', () => {
    expect(gridDifference([[1, 2]], [[0.5, 3]])).toEqual([[0.5, -1]]);
    expect(gridDifference([[1, 2]], [[1]])).toMatch(/different lengths/);
  });

  it('labels rows by layer, the last resid_post as final', () => {
    expect(lensRowLabel('blocks.3.hook_resid_pre', 3, 6)).toBe('L3 pre');
    expect(lensRowLabel('blocks.4.hook_resid_post', 5, 6)).toBe('final');
  });
});
