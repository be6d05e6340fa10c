/**
 * One row per attention head and per MLP layer, joining what the API returns for direct
 * logit attribution and ablation (each on the clean and the corrupted prompt, and their
 * difference) and activation patching (clean → corrupted, one number per component).
 * Pure, tested in Node.
 */
import type { AblateResponse, AblationSweepResult, AttributionResponse, ConfigSummary, PatchingResult } from '../../api/index.ts';

/** The numeric columns, in table order. */
export const VALUE_COLUMNS = ['dlaClean', 'dlaCorrupted', 'dlaDelta', 'ablationClean', 'ablationCorrupted', 'ablationDelta', 'patching'] as const;
export type ValueColumn = (typeof VALUE_COLUMNS)[number];
export const COLUMNS = ['name', ...VALUE_COLUMNS] as const;
export type ColumnKey = (typeof COLUMNS)[number];

/** Columns that share a unit, and so one colour scale and one legend. */
export const COLUMN_GROUPS = [
  { key: 'dla', columns: ['dlaClean', 'dlaCorrupted', 'dlaDelta'] },
  { key: 'ablation', columns: ['ablationClean', 'ablationCorrupted', 'ablationDelta'] },
  { key: 'patching', columns: ['patching'] },
] as const satisfies readonly { key: string; columns: readonly ValueColumn[] }[];
export type ColumnGroup = (typeof COLUMN_GROUPS)[number]['key'];

export type ComponentRow = {
  kind: 'head' | 'mlp';
  layer: number;
  /** Heads only. */
  head?: number;
  name: string;
} & { [K in ValueColumn]?: number };

/** What one prompt's runs returned. */
export interface RunSources {
  attribution?: AttributionResponse;
  sweep?: AblationSweepResult;
  /** Per MLP layer, the ablation of that MLP alone. */
  mlpAblations?: readonly (AblateResponse | undefined)[];
}

export interface ComponentSources {
  clean?: RunSources;
  corrupted?: RunSources;
  /** With a 'z' grid (heads) and an 'mlp_out' grid (MLPs, per position). */
  patching?: PatchingResult;
}

/** What the DLA and ablation columns measure, in the legends' words. */
export interface ComponentUnits {
  dla: string;
  ablation: string;
}

/**
 * The columns' units, decided by the boxes the requests are built from (an answer and a wrong
 * token add the logit difference), not by which results have arrived: the caption means the same
 * before and after the ablation runs are computed.
 */
export function componentUnits(boxes: { answer?: string; wrong?: string }): ComponentUnits {
  const metric = !!boxes.answer && !!boxes.wrong;
  return { dla: metric ? 'logit[answer] − logit[wrong]' : 'logit[answer]', ablation: metric ? 'Δ logit diff' : 'Δ loss' };
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

function delta(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

/** Per component, its DLA and ablation effect in one run. */
function runValues(s: RunSources | undefined) {
  const sweepGrid = s?.sweep?.metricDelta ?? s?.sweep?.lossDelta;
  return {
    head: (layer: number, head: number) => ({ dla: s?.attribution?.heads[layer]?.[head], ablation: sweepGrid?.[layer]?.[head] }),
    mlp: (layer: number) => ({ dla: s?.attribution?.layers.find((l) => l.label === `L${layer} mlp`)?.value, ablation: ablationEffect(s?.mlpAblations?.[layer]) }),
  };
}

export function componentRows(config: ConfigSummary, s: ComponentSources): ComponentRow[] {
  const rows: ComponentRow[] = [];
  const grid = (kind: string) => s.patching?.grids.find((g) => g.kind === kind && !g.positions)?.values as number[][] | undefined;
  const headPatch = grid('z');
  const mlpPatch = grid('mlp_out');
  const clean = runValues(s.clean);
  const corrupted = runValues(s.corrupted);
  const values = (c: { dla?: number; ablation?: number }, k: { dla?: number; ablation?: number }, patching: number | undefined) => ({
    dlaClean: c.dla,
    dlaCorrupted: k.dla,
    dlaDelta: delta(c.dla, k.dla),
    ablationClean: c.ablation,
    ablationCorrupted: k.ablation,
    ablationDelta: delta(c.ablation, k.ablation),
    patching,
  });
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (let head = 0; head < config.nHeads; head++) {
      rows.push({ kind: 'head', layer, head, name: `L${layer}H${head}`, ...values(clean.head(layer, head), corrupted.head(layer, head), headPatch?.[layer]?.[head]) });
    }
    if (!config.attnOnly) {
      rows.push({ kind: 'mlp', layer, name: `L${layer} MLP`, ...values(clean.mlp(layer), corrupted.mlp(layer), strongest(mlpPatch?.[layer])) });
    }
  }
  return rows;
}

/** The values of `columns` over all rows, as a matrix for a colour scale (missing → NaN). */
export function columnValues(rows: readonly ComponentRow[], columns: readonly ValueColumn[]): number[][] {
  return columns.map((c) => rows.map((r) => r[c] ?? NaN));
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

/** A sort key from the URL, or the default (clean DLA) when it names no column. */
export function sortKey(value: string): ColumnKey {
  return (COLUMNS as readonly string[]).includes(value) ? (value as ColumnKey) : 'dlaClean';
}
