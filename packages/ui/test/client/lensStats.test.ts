import { describe, expect, it } from 'vitest';
import type { LensResponse } from '../../src/api/index.ts';
import { colourMeaning, lensPanel, lensRowLabel, lensScaleOptions, lensStat } from '../../src/client/lib/lensStats.ts';

function lens(targetLogits?: number[][]): LensResponse {
  const top = [[[{ token: 'a', id: 1, prob: 0.6 }], [{ token: 'b', id: 2, prob: 0.3 }]], [[{ token: 'c', id: 3, prob: 0.9 }], [{ token: 'd', id: 4, prob: 0.2 }]]];
  return {
    layers: ['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post'],
    positions: ['x', 'y'],
    tokenIds: [5, 6],
    unknown: [],
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
    expect(lensStat({ lens: lens() }, 'target')).toEqual({ why: expect.stringMatching(/answer/) });
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]) }, 'rank')).toEqual([[0, 1], [0, 1]]);
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]) }, 'logitdiff')).toEqual({ why: expect.stringMatching(/wrong/) });
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]), wrong: lens([[0.5, 2], [5, 1]]) }, 'logitdiff')).toEqual([[0.5, 0], [-2, 3]]);
  });

  it('a refused answer or wrong box is an error for the statistics that need it, and costs no other', () => {
    const refused = 'answer "Tim Lily" is 2 tokens';
    expect(lensStat({ lens: lens(), targetError: refused }, 'target')).toEqual({ why: refused, error: true });
    expect(lensStat({ lens: lens(), targetError: refused }, 'logitdiff')).toEqual({ why: refused, error: true });
    expect(lensStat({ lens: lens(), targetError: refused }, 'top')).toEqual([[0.6, 0.3], [0.9, 0.2]]);
    expect(lensStat({ lens: lens([[1, 2], [3, 4]]), wrongError: 'wrong "x y" is 2 tokens' }, 'logitdiff')).toEqual({ why: 'wrong "x y" is 2 tokens', error: true });
  });

  it('shows a panel of one run, or clean − corrupted (exactly 0 where the runs agree)', () => {
    const clean = { lens: lens() };
    const other = lens();
    other.entropy = [[1, 2.5], [3, 3.5]];
    const corrupted = { lens: other };
    expect(lensPanel('clean', 'entropy', clean, corrupted, 'none')).toEqual([[1, 2], [3, 4]]);
    expect(lensPanel('corrupted', 'entropy', clean, corrupted, 'none')).toEqual([[1, 2.5], [3, 3.5]]);
    expect(lensPanel('diff', 'entropy', clean, corrupted, 'none')).toEqual([[0, -0.5], [0, 0.5]]);
    expect(lensPanel('diff', 'entropy', clean, undefined, 'enter a corrupted prompt')).toEqual({ why: 'enter a corrupted prompt' });
    // The difference needs the statistic in both runs.
    expect(lensPanel('diff', 'target', { lens: lens([[1, 2], [3, 4]]) }, corrupted, 'none')).toEqual({ why: expect.stringMatching(/answer/) });
    const short = lens();
    short.entropy = [[1], [3]];
    expect(lensPanel('diff', 'entropy', clean, { lens: short }, 'none')).toEqual({ why: expect.stringMatching(/different lengths \(2 vs 1 tokens\)/) });
  });

  it('colours differences and the signed logit difference on a diverging scale; probabilities on [0, 1]', () => {
    expect(lensScaleOptions('logitdiff', 'clean')).toEqual({ kind: 'diverging' });
    expect(lensScaleOptions('top', 'clean')).toEqual({ domain: [0, 1] });
    expect(lensScaleOptions('entropy', 'corrupted')).toEqual({});
    for (const stat of ['top', 'entropy', 'rank'] as const) expect(lensScaleOptions(stat, 'diff')).toEqual({ kind: 'diverging' });
  });

  it('says what a lower value means for each statistic read downwards: KL is distance to the final layer, not confidence', () => {
    expect(colourMeaning('kl')).toBe("KL(final ‖ layer) (nats) (lower = closer to the final layer's prediction)");
    expect(colourMeaning('entropy')).toBe('entropy (nats) (lower = more confident)');
    expect(colourMeaning('rank')).toBe('answer rank (0 = top) (lower = the answer ranked higher)');
    expect(colourMeaning('top')).toBe('top-token probability');
  });

  it('labels rows by layer, the last resid_post as final', () => {
    expect(lensRowLabel('blocks.3.hook_resid_pre', 3, 6)).toBe('L3 pre');
    expect(lensRowLabel('blocks.4.hook_resid_post', 5, 6)).toBe('final');
  });
});
