/**
 * One row per attention head and per MLP layer, joining what the API returns for direct
 * logit attribution, ablation and patching. Pure, tested in Node.
 */
import type { AblateResponse, AblationSweepResult, AttributionResponse, ConfigSummary, PatchingResult } from '../../api/index.ts';

export interface ComponentRow {
  kind: 'head' | 'mlp';
  layer: number;
  /** Heads only. */
  head?: number;
  name: string;
  dla?: number;
  ablation?: number;
  patching?: number;
}

export const COLUMNS = ['name', 'dla', 'ablation', 'patching'] as const;
export type ColumnKey = (typeof COLUMNS)[number];

export interface ComponentSources {
  attribution?: AttributionResponse;
  sweep?: AblationSweepResult;
  /** Per MLP layer, the ablation of that MLP alone. */
  mlpAblations?: readonly (AblateResponse | undefined)[];
  /** With a 'z' grid (heads) and an 'mlp_out' grid (MLPs, per position). */
  patching?: PatchingResult;
}

/** An MLP is patched one position at a time: its row shows the position with the largest effect. */
function strongest(values: readonly number[] | undefined): number | undefined {
  if (!values || values.length === 0) return undefined;
  return values.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), values[0]);
}

/** The ablation effect a result reports: the metric change when there is one, else the loss change. */
function ablationEffect(r: AblateResponse | undefined): number | undefined {
  return r ? (r.metricDelta ?? r.lossDelta) : undefined;
}

export function componentRows(config: ConfigSummary, s: ComponentSources): ComponentRow[] {
  const rows: ComponentRow[] = [];
  const sweepGrid = s.sweep?.metricDelta ?? s.sweep?.lossDelta;
  const grid = (kind: string) => s.patching?.grids.find((g) => g.kind === kind && !g.positions)?.values as number[][] | undefined;
  const headPatch = grid('z');
  const mlpPatch = grid('mlp_out');
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (let head = 0; head < config.nHeads; head++) {
      rows.push({
        kind: 'head',
        layer,
        head,
        name: `L${layer}H${head}`,
        dla: s.attribution?.heads[layer]?.[head],
        ablation: sweepGrid?.[layer]?.[head],
        patching: headPatch?.[layer]?.[head],
      });
    }
    if (!config.attnOnly) {
      rows.push({
        kind: 'mlp',
        layer,
        name: `L${layer} MLP`,
        dla: s.attribution?.layers.find((l) => l.label === `L${layer} mlp`)?.value,
        ablation: ablationEffect(s.mlpAblations?.[layer]),
        patching: strongest(mlpPatch?.[layer]),
      });
    }
  }
  return rows;
}

/** Sorted copy; missing values always last. Name sorts by layer, then heads before the MLP. */
export function sortRows(rows: readonly ComponentRow[], key: ColumnKey, desc: boolean): ComponentRow[] {
  const order = (r: ComponentRow) => r.layer * 10000 + (r.kind === 'mlp' ? 9999 : (r.head ?? 0));
  return [...rows].sort((a, b) => {
    if (key === 'name') return (order(a) - order(b)) * (desc ? -1 : 1);
    const [x, y] = [a[key], b[key]];
    if (x === undefined || !Number.isFinite(x)) return y === undefined || !Number.isFinite(y) ? 0 : 1;
    if (y === undefined || !Number.isFinite(y)) return -1;
    return (x - y) * (desc ? -1 : 1);
  });
}
