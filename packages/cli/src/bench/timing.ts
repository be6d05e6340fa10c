export interface Timing {
  /** Median seconds per run. */
  median: number;
  runs: number;
}

/**
 * Runs `body` `warmups` times to warm up (kernel compilation, allocation; the onnx engine bakes
 * a plan's weights on its third run), then repeatedly until `runs` runs or `budgetSeconds` have
 * passed (at least 3 runs), and reports the median.
 */
export function timeMedian(body: () => void, { runs = 5, budgetSeconds = 10, warmups = 1 }: { runs?: number; budgetSeconds?: number; warmups?: number } = {}): Timing {
  for (let i = 0; i < warmups; i++) body();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < runs && (times.length < 3 || (performance.now() - start) / 1000 < budgetSeconds)) {
    const before = performance.now();
    body();
    times.push((performance.now() - before) / 1000);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  const median = times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
  return { median, runs: times.length };
}

/** Seconds as the bench tables show them: "  12.3 s". */
export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(1).padStart(6)} s`;
}

/** Seconds shown in milliseconds: "4.2 ms". */
export function formatMilliseconds(seconds: number): string {
  return `${(seconds * 1000).toFixed(1)} ms`;
}
