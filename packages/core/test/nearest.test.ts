import { describe, expect, it } from 'vitest';
import { nearestStrings, seededRandom } from '../src/index.ts';

/** Reference: the full Levenshtein table, written plainly, and a stable sort. */
function levenshtein(a: string, b: string): number {
  const table = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) table[i][j] = Math.min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return table[a.length][b.length];
}

describe('nearestStrings', () => {
  it('agrees with a full-table reference, ties in candidate order', () => {
    const random = seededRandom(3);
    const word = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => 'abcd'[Math.floor(random() * 4)]).join('');
    for (let trial = 0; trial < 200; trial++) {
      const candidates = Array.from({ length: 40 }, () => word(9));
      const query = word(7);
      const count = 1 + Math.floor(random() * 5);
      const expected = candidates
        .map((candidate, index) => ({ candidate, index, distance: levenshtein(candidate, query) }))
        .sort((x, y) => x.distance - y.distance || x.index - y.index)
        .slice(0, count)
        .map((entry) => entry.candidate);
      expect(nearestStrings(candidates, query, count)).toEqual(expected);
    }
  });

  it('with maxDistance, keeps only candidates at most that far (the reference agrees)', () => {
    const candidates = ['toy-ioi', 'toy-induction', 'gpt2', 'Mary'];
    for (const query of ['toy-iio', 'gtp2', 'toy', 'zzzz', 'Marie']) {
      for (const maxDistance of [0, 1, 2, 3]) {
        const expected = candidates
          .map((candidate, index) => ({ candidate, index, distance: levenshtein(candidate, query) }))
          .filter((entry) => entry.distance <= maxDistance)
          .sort((x, y) => x.distance - y.distance || x.index - y.index)
          .slice(0, 2)
          .map((entry) => entry.candidate);
        expect(nearestStrings(candidates, query, 2, maxDistance)).toEqual(expected);
      }
    }
    expect(nearestStrings(candidates, 'toy-iio', 1, 2)).toEqual(['toy-ioi']);
    expect(nearestStrings(candidates, 'zzzz', 1, 2)).toEqual([]);
  });

  it('returns fewer when there are fewer candidates, none for count 0', () => {
    expect(nearestStrings(['Mary', 'Mark'], 'Marie', 5)).toEqual(['Mary', 'Mark']);
    expect(nearestStrings(['Mary'], 'Marie', 0)).toEqual([]);
  });
});
