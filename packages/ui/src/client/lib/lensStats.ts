/**
 * The numbers a logit-lens heatmap can be coloured by, computed from what /api/lens returns.
 * Pure, tested in Node.
 */
import type { LensResponse } from '../../api/index.ts';
import type { LensStat } from '../state/viewState.ts';

/** One run's lens: with the answer as target, and (for the logit difference) with the wrong token as target. */
export interface LensBundle {
  lens: LensResponse;
  wrong?: LensResponse;
}

export interface StatInfo {
  label: string;
  /** Fixed colour domain, when the statistic has a natural one. */
  domain?: [number, number];
  /** Lower is "more confident" (rank, entropy, KL): the legend says so. */
  lowerIsBetter?: boolean;
  needs?: 'answer' | 'answer+wrong';
}

export const STAT_INFO: Record<LensStat, StatInfo> = {
  top: { label: 'top-token probability', domain: [0, 1] },
  target: { label: 'answer probability', domain: [0, 1], needs: 'answer' },
  rank: { label: 'answer rank (0 = top)', lowerIsBetter: true, needs: 'answer' },
  entropy: { label: 'entropy (nats)', lowerIsBetter: true },
  kl: { label: 'KL(final ‖ layer) (nats)', lowerIsBetter: true },
  logitdiff: { label: 'logit[answer] − logit[wrong]', needs: 'answer+wrong' },
};

/** [layer][pos] values of `stat`, or a sentence saying what is missing. */
export function lensStat(bundle: LensBundle, stat: LensStat): number[][] | string {
  const { lens } = bundle;
  switch (stat) {
    case 'top':
      return lens.top.map((row) => row.map((cell) => cell[0]?.prob ?? NaN));
    case 'entropy':
      return lens.entropy.map((row) => row.slice());
    case 'kl':
      return lens.klToFinal.map((row) => row.slice());
    case 'target':
    case 'rank':
      if (!lens.target) return 'set an answer token to follow its probability and rank';
      return lens.target.map((row) => row.map((t) => (stat === 'target' ? t.prob : t.rank)));
    case 'logitdiff': {
      const wrong = bundle.wrong?.target;
      if (!lens.target || !wrong) return 'set both an answer and a wrong token for the logit difference';
      return lens.target.map((row, l) => row.map((t, p) => t.logit - (wrong[l]?.[p]?.logit ?? NaN)));
    }
  }
}

/** a − b cell by cell; a sentence when the grids do not line up (prompts of different lengths). */
export function gridDifference(a: number[][], b: number[][]): number[][] | string {
  if (a.length !== b.length || a.some((row, i) => row.length !== b[i].length)) {
    return `clean and corrupted prompts have different lengths (${a[0]?.length ?? 0} vs ${b[0]?.length ?? 0} tokens): no cell-by-cell difference`;
  }
  return a.map((row, i) => row.map((v, j) => v - b[i][j]));
}

/** Short row labels for lens rows: 'blocks.3.hook_resid_pre' → 'L3 pre', the final row → 'final'. */
export function lensRowLabel(name: string, index: number, count: number): string {
  if (index === count - 1 && /hook_resid_post$/.test(name)) return 'final';
  const m = /^blocks\.(\d+)\.hook_resid_(pre|mid|post)$/.exec(name);
  return m ? `L${m[1]} ${m[2]}` : name;
}
