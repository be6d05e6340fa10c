/**
 * The numbers a logit-lens heatmap can be coloured by, computed from what /api/lens returns,
 * and the colour scale each needs. Pure, tested in Node.
 */
import type { LensResponse } from '../../api/index.ts';
import type { ScaleKind } from '../charts/colorScale.ts';
import type { LensStat } from '../state/viewState.ts';
import { gridDifference, type Panel } from './runs.ts';

/** One run's lens: with the answer as target, and (for the logit difference) with the wrong token as target. */
export interface LensBundle {
  lens: LensResponse;
  wrong?: LensResponse;
  /** Why the answer box could not be used as the target (the lens itself is then without one). */
  targetError?: string;
  /** Why the wrong box could not be used. */
  wrongError?: string;
}

export interface StatInfo {
  label: string;
  /** Fixed colour domain, when the statistic has a natural one. */
  domain?: [number, number];
  /** Signed values (a difference): always a diverging scale, white at 0. */
  signed?: boolean;
  /** What a lower value means, for statistics read downwards (rank, entropy, KL): the caption says so. */
  lowerMeans?: string;
  needs?: 'answer' | 'answer+wrong';
}

export const STAT_INFO: Record<LensStat, StatInfo> = {
  top: { label: 'top-token probability', domain: [0, 1] },
  target: { label: 'answer probability', domain: [0, 1], needs: 'answer' },
  rank: { label: 'answer rank (0 = top)', lowerMeans: 'the answer ranked higher', needs: 'answer' },
  entropy: { label: 'entropy (nats)', lowerMeans: 'more confident' },
  // KL(final ‖ layer) measures how far this layer's reading is from the model's output, not how sure it is.
  kl: { label: 'KL(final ‖ layer) (nats)', lowerMeans: "closer to the final layer's prediction" },
  logitdiff: { label: 'logit[answer] − logit[wrong]', signed: true, needs: 'answer+wrong' },
};

/** What the colour of a lens panel shows, for its caption: the statistic, and what lower means when that is the way to read it. */
export function colourMeaning(stat: LensStat): string {
  const { label, lowerMeans } = STAT_INFO[stat];
  return lowerMeans ? `${label} (lower = ${lowerMeans})` : label;
}

/** Why a statistic has no grid: something not set yet, or an error (a box the server refused). */
export interface Unavailable {
  why: string;
  error?: boolean;
}

/** [layer][pos] values of `stat`, or why there are none. */
export function lensStat(bundle: LensBundle, stat: LensStat): number[][] | Unavailable {
  const { lens } = bundle;
  const missing = (error: string | undefined, why: string): Unavailable => (error ? { why: error, error: true } : { why });
  switch (stat) {
    case 'top':
      return lens.top.map((row) => row.map((cell) => cell[0]?.prob ?? NaN));
    case 'entropy':
      return lens.entropy.map((row) => row.slice());
    case 'kl':
      return lens.klToFinal.map((row) => row.slice());
    case 'target':
    case 'rank':
      if (!lens.target) return missing(bundle.targetError, 'set an answer token to follow its probability and rank');
      return lens.target.map((row) => row.map((t) => (stat === 'target' ? t.prob : t.rank)));
    case 'logitdiff': {
      const wrong = bundle.wrong?.target;
      if (!lens.target) return missing(bundle.targetError, 'set both an answer and a wrong token for the logit difference');
      if (!wrong) return missing(bundle.wrongError, 'set both an answer and a wrong token for the logit difference');
      return lens.target.map((row, l) => row.map((t, p) => t.logit - (wrong[l]?.[p]?.logit ?? NaN)));
    }
  }
}

/**
 * The grid one panel shows: the clean or the corrupted run's `stat`, or clean − corrupted.
 * `corrupted` is undefined while there is no corrupted run (`noCorrupted` says why).
 */
export function lensPanel(panel: Panel, stat: LensStat, clean: LensBundle, corrupted: LensBundle | undefined, noCorrupted: string): number[][] | Unavailable {
  if (panel === 'clean') return lensStat(clean, stat);
  if (!corrupted) return { why: noCorrupted };
  const other = lensStat(corrupted, stat);
  if (panel === 'corrupted') return other;
  const main = lensStat(clean, stat);
  if (!Array.isArray(main)) return main;
  if (!Array.isArray(other)) return other;
  const diff = gridDifference(main, other);
  return typeof diff === 'string' ? { why: diff } : diff;
}

/**
 * How a panel of `stat` is coloured: a difference of runs, or a signed statistic, diverges
 * around 0; a statistic with a natural range keeps it (so colours mean the same across runs).
 */
export function lensScaleOptions(stat: LensStat, panel: Panel): { kind?: ScaleKind; domain?: [number, number] } {
  if (panel === 'diff') return { kind: 'diverging' };
  const info = STAT_INFO[stat];
  return { ...(info.signed && { kind: 'diverging' as const }), ...(info.domain && { domain: info.domain }) };
}

/** Short row labels for lens rows: 'blocks.3.hook_resid_pre' → 'L3 pre', the final row → 'final'. */
export function lensRowLabel(name: string, index: number, count: number): string {
  if (index === count - 1 && /hook_resid_post$/.test(name)) return 'final';
  const m = /^blocks\.(\d+)\.hook_resid_(pre|mid|post)$/.exec(name);
  return m ? `L${m[1]} ${m[2]}` : name;
}
