/**
 * Activation patching: copy one activation at a time from the clean run into the corrupted
 * run and measure how much of the clean logit difference comes back (1 = all, 0 = none).
 * Clean and corrupted prompts side by side with the differing tokens highlighted.
 */
import type { PatchingResult, TokenizeResponse } from '../../api/index.ts';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { extent, formatValue, makeScale } from '../charts/colorScale.ts';
import { cellNumber, Heatmap, showWhitespace, type Cell } from '../charts/Heatmap.tsx';
import { Cancelled, ErrorBox, Placeholder, ProgressBar } from '../charts/Status.tsx';
import { TokenChips, tokenDiff } from '../charts/TokenChips.tsx';
import { matrixCsv } from '../lib/exportData.ts';
import { PATCH_VIEW_KINDS, type PatchViewKind } from '../state/viewState.ts';
import type { RequestView } from './AblationView.tsx';

export interface PatchingViewProps {
  clean?: TokenizeResponse;
  corrupted?: TokenizeResponse;
  answer: string;
  wrong: string;
  kind: PatchViewKind;
  /** Why the run cannot start yet (missing prompt or tokens), if so. */
  blocked?: string;
  result: RequestView<PatchingResult>;
  selected: Cell | null;
  onSelect: (cell: Cell | null) => void;
  onKind: (kind: PatchViewKind) => void;
  onRun: () => void;
  onCancel: () => void;
}

const KIND_LABEL: Record<PatchViewKind, string> = {
  resid_pre: 'residual stream before each layer (layer × position)',
  resid_mid: 'residual stream between attention and MLP (layer × position)',
  attn_out: 'attention output (layer × position)',
  mlp_out: 'MLP output (layer × position)',
  z: 'each head’s output z (layer × head)',
  q: 'each head’s queries (layer × head)',
  k: 'each head’s keys (layer × head)',
  v: 'each head’s values (layer × head)',
  pattern: 'each head’s attention pattern (layer × head)',
};

const POSITION_KINDS: readonly string[] = ['resid_pre', 'resid_mid', 'attn_out', 'mlp_out'];

export interface PatchGrid {
  values: number[][];
  rowLabels: string[];
  colLabels: string[];
  axis: [string, string];
}

/** The 2-D grid of `kind` in a patching result, or null if the result lacks it. */
export function patchGrid(result: PatchingResult, kind: PatchViewKind): PatchGrid | null {
  const grid = result.grids.find((g) => g.kind === kind);
  if (!grid || grid.positions) return null;
  return {
    values: grid.values as number[][],
    rowLabels: grid.rows,
    colLabels: grid.cols.map(shortPositionLabel),
    axis: ['layer', POSITION_KINDS.includes(kind) ? 'position' : 'head'],
  };
}

/** 'pos 12: " Lily"' (the server's label) → '12 ␣Lily', like the other position axes. */
export function shortPositionLabel(label: string): string {
  const m = /^pos (\d+): (".*")$/.exec(label);
  if (!m) return label;
  try {
    return `${m[1]} ${showWhitespace(JSON.parse(m[2]) as string)}`;
  } catch {
    return label;
  }
}

export function PatchingView(props: PatchingViewProps) {
  const { clean, corrupted, kind, result, selected } = props;
  const diff = clean && corrupted ? tokenDiff(clean.tokens, corrupted.tokens) : new Set<number>();
  const grid = result.data ? patchGrid(result.data, kind) : null;
  const [lo, hi] = grid ? extent(grid.values) : [0, 1];
  const span = Math.max(1, Math.abs(lo), Math.abs(hi));
  const scale = makeScale([], { kind: 'diverging', domain: [-span, span] });
  const sel = grid && selected && selected.row < grid.rowLabels.length && selected.col < grid.colLabels.length ? selected : null;
  const lengthMismatch = clean && corrupted && clean.ids.length !== corrupted.ids.length;

  return (
    <div className="row" style={{ flexDirection: 'column' }}>
      <ChartFrame testId="patching-prompts" title="Clean → corrupted" caption="Highlighted: positions where the corrupted prompt differs. Patching needs both prompts to have the same number of tokens.">
        <div className="side-by-side">
          <div>
            <h4>clean</h4>
            {clean ? <TokenChips tokens={clean.tokens} ids={clean.ids} unknown={clean.unknown} highlight={diff} selected={POSITION_KINDS.includes(kind) && sel ? sel.col : null} testId="patch-clean-tokens" /> : <Placeholder>enter a clean prompt above</Placeholder>}
          </div>
          <div>
            <h4>corrupted</h4>
            {corrupted ? <TokenChips tokens={corrupted.tokens} ids={corrupted.ids} unknown={corrupted.unknown} highlight={diff} selected={POSITION_KINDS.includes(kind) && sel ? sel.col : null} testId="patch-corrupted-tokens" /> : <Placeholder>enter a corrupted prompt above</Placeholder>}
          </div>
        </div>
        {lengthMismatch && <ErrorBox error={`the prompts have ${clean.ids.length} and ${corrupted.ids.length} tokens; patching needs equal lengths`} />}
        <div className="toolbar" style={{ marginTop: 8 }}>
          <span className="status">metric: logit[{JSON.stringify(props.answer || '?')}] − logit[{JSON.stringify(props.wrong || '?')}] at the last position</span>
          <label>
            patch
            <select value={kind} onChange={(e) => props.onKind(e.target.value as PatchViewKind)} data-testid="patch-kind">
              {PATCH_VIEW_KINDS.map((k) => <option key={k} value={k}>{KIND_LABEL[k]}</option>)}
            </select>
          </label>
          <button type="button" className="primary" disabled={!!props.blocked || !!lengthMismatch || result.loading} onClick={props.onRun} data-testid="patch-run" title={props.blocked}>
            Run patching
          </button>
          {props.blocked && <span className="status">{props.blocked}</span>}
        </div>
      </ChartFrame>
      <div className="row">
        <ChartFrame
          testId="patching-chart"
          title={`Patching effect — ${KIND_LABEL[kind]}`}
          caption="Normalised effect of patching each activation from the clean run into the corrupted run: (metric_patched − metric_corrupted) / (metric_clean − metric_corrupted). 1 = restores clean behaviour, 0 = no effect."
          data={
            grid ? {
              name: `patching-${kind}`,
              csv: () => matrixCsv(grid, `${grid.axis[0]} \\ ${grid.axis[1]}`),
              json: () => ({ kind, answer: props.answer, wrong: props.wrong, ...result.data }),
            } : undefined
          }
        >
          {result.loading && <ProgressBar progress={result.progress} label="patching" onCancel={props.onCancel} />}
          {result.cancelled && <Cancelled what="patching" />}
          {result.error && <ErrorBox error={result.error} onRetry={props.onRun} />}
          {result.data && !grid && <Placeholder>this result has no {KIND_LABEL[kind]} — run patching again for this kind</Placeholder>}
          {result.data && (
            <div className="status" data-testid="patch-metrics">
              logit difference: clean {formatValue(result.data.metricClean)} · corrupted {formatValue(result.data.metricCorrupted)}
            </div>
          )}
          {grid && (
            <Heatmap
              testId="patching-heatmap"
              values={grid.values}
              rowLabels={grid.rowLabels}
              colLabels={grid.colLabels}
              scale={scale}
              legendLabel="normalised patching effect"
              rowAxisLabel={grid.axis[0]}
              colAxisLabel={grid.axis[1]}
              cellWidth={POSITION_KINDS.includes(kind) ? Math.max(52, Math.min(90, 900 / Math.max(1, grid.colLabels.length))) : 52}
              cellText={({ row, col }) => cellNumber(grid.values[row][col])}
              selected={sel}
              onCellClick={(cell) => props.onSelect(sel && sel.row === cell.row && sel.col === cell.col ? null : cell)}
              tooltip={({ row, col }) => (
                <div>
                  <div className="tip-title">{grid.rowLabels[row]} · {grid.colLabels[col]}</div>
                  effect {formatValue(grid.values[row][col], 4)}
                </div>
              )}
            />
          )}
        </ChartFrame>
        {grid && sel && (
          <ChartFrame testId="patching-cell" title={`${grid.rowLabels[sel.row]} · ${grid.colLabels[sel.col]}`}>
            <dl className="kv">
              <dt>normalised effect</dt>
              <dd data-testid="patch-cell-value">{formatValue(grid.values[sel.row][sel.col], 5)}</dd>
              {POSITION_KINDS.includes(kind) && clean && corrupted && (
                <>
                  <dt>clean token</dt>
                  <dd>{JSON.stringify(clean.tokens[sel.col])} (#{clean.ids[sel.col]})</dd>
                  <dt>corrupted token</dt>
                  <dd>{JSON.stringify(corrupted.tokens[sel.col])} (#{corrupted.ids[sel.col]})</dd>
                </>
              )}
              <dt>metric clean</dt>
              <dd>{formatValue(result.data!.metricClean, 4)}</dd>
              <dt>metric corrupted</dt>
              <dd>{formatValue(result.data!.metricCorrupted, 4)}</dd>
            </dl>
          </ChartFrame>
        )}
      </div>
    </div>
  );
}
