/**
 * Comparing the clean and the corrupted run: which panels a run choice shows, and the
 * cell-by-cell differences the Δ panels draw. Pure, tested in Node.
 */
import type { AblateResponse, AblationSweepResult } from '../../api/index.ts';
import type { RunChoice } from '../state/viewState.ts';

/** What one panel shows: a single run, or clean − corrupted. */
export type Panel = 'clean' | 'corrupted' | 'diff';

export const PANEL_LABEL: Record<Panel, string> = { clean: 'clean', corrupted: 'corrupted', diff: 'clean − corrupted' };

/** The panels a run choice shows, in order: 'side' shows all three next to each other. */
export function panelsFor(run: RunChoice): Panel[] {
  return run === 'side' ? ['clean', 'corrupted', 'diff'] : [run];
}

/** Whether a run choice needs the clean run's data. */
export function usesClean(run: RunChoice): boolean {
  return run !== 'corrupted';
}

/** Whether a run choice needs the corrupted run's data. */
export function usesCorrupted(run: RunChoice): boolean {
  return run !== 'clean';
}

/** A chart's test id: the plain one when a single panel is shown, suffixed by the panel side by side. */
export function panelTestId(base: string, panel: Panel, run: RunChoice): string {
  return run === 'side' ? `${base}-${panel}` : base;
}

/** a − b cell by cell; a sentence when the grids do not line up (prompts of different lengths). */
export function gridDifference(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] | string {
  if (a.length !== b.length || a.some((row, i) => row.length !== b[i].length)) {
    return `clean and corrupted prompts have different lengths (${a[0]?.length ?? 0} vs ${b[0]?.length ?? 0} tokens): no cell-by-cell difference`;
  }
  return a.map((row, i) => row.map((v, j) => v - b[i][j]));
}

/** a − b element by element, for equally shaped nested arrays of numbers (attention patterns, thumbnails). */
export function nestedDifference<T>(a: T, b: T): T {
  return (Array.isArray(a) ? a.map((x: unknown, i) => nestedDifference(x, (b as unknown[])[i])) : (a as number) - (b as number)) as T;
}

/** How much ablating the same components changes each run, and the difference of those changes. */
export interface EffectDifference {
  /** lossDelta(clean) − lossDelta(corrupted). */
  lossDelta: number;
  /** metricDelta(clean) − metricDelta(corrupted), when both runs measured the logit difference. */
  metricDelta?: number;
}

export function ablationDifference(clean: AblateResponse, corrupted: AblateResponse): EffectDifference {
  const metric = clean.metricDelta !== undefined && corrupted.metricDelta !== undefined ? { metricDelta: clean.metricDelta - corrupted.metricDelta } : {};
  return { lossDelta: clean.lossDelta - corrupted.lossDelta, ...metric };
}

/** Per head: its ablation effect on the clean run minus its effect on the corrupted run (each grid both sweeps have). */
export function sweepDifference(clean: AblationSweepResult, corrupted: AblationSweepResult): Pick<AblationSweepResult, 'lossDelta' | 'metricDelta'> {
  const diff = (a?: number[][], b?: number[][]) => {
    if (!a || !b) return undefined;
    const d = gridDifference(a, b);
    return typeof d === 'string' ? undefined : d;
  };
  const lossDelta = diff(clean.lossDelta, corrupted.lossDelta);
  const metricDelta = diff(clean.metricDelta, corrupted.metricDelta);
  return { ...(lossDelta && { lossDelta }), ...(metricDelta && { metricDelta }) };
}
