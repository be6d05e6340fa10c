/**
 * The `count` candidates closest to `query` by edit distance (Levenshtein: insertions,
 * deletions, substitutions), closest first, ties in candidate order. A distance is only worked
 * out while it can still beat the count-th best so far, so a 50k-token vocabulary takes
 * milliseconds, not the seconds a full table per candidate would. With `maxDistance`, only
 * candidates at most that far from `query` count (a typo's suggestion, not any nearest name).
 */
export function nearestStrings(candidates: readonly string[], query: string, count: number, maxDistance = Infinity): string[] {
  const best: { index: number; distance: number }[] = [];
  let previous = new Int32Array(query.length + 1);
  let current = new Int32Array(query.length + 1);
  const boundedDistance = (candidate: string, bound: number): number => {
    // Returns the distance when it is below `bound`, else `bound`.
    if (Math.abs(candidate.length - query.length) >= bound) return bound;
    for (let j = 0; j <= query.length; j++) previous[j] = j;
    for (let i = 1; i <= candidate.length; i++) {
      current[0] = i;
      let rowMin = i;
      const c = candidate.charCodeAt(i - 1);
      for (let j = 1; j <= query.length; j++) {
        const substitute = previous[j - 1] + (c === query.charCodeAt(j - 1) ? 0 : 1);
        const value = Math.min(previous[j] + 1, current[j - 1] + 1, substitute);
        current[j] = value;
        if (value < rowMin) rowMin = value;
      }
      // Every later row is at least this row's minimum: stop once that cannot win.
      if (rowMin >= bound) return bound;
      [previous, current] = [current, previous];
    }
    return Math.min(previous[query.length], bound);
  };
  for (let index = 0; index < candidates.length && count > 0; index++) {
    const bound = best.length < count ? maxDistance + 1 : best[count - 1].distance;
    const distance = boundedDistance(candidates[index], bound);
    if (distance >= bound) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].distance > distance) at--;
    best.splice(at, 0, { index, distance });
    if (best.length > count) best.pop();
  }
  return best.map(({ index }) => candidates[index]);
}
