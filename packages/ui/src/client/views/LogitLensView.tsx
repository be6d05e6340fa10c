/**
 * Logit lens: layers × positions, each cell coloured by the chosen statistic of that
 * layer's next-token reading, with the top token written in it. Hover for the top 5,
 * click for the layer's whole (top-k) distribution. Shows the clean run, the corrupted
 * one, or clean − corrupted.
 */
import { useMemo } from 'react';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue, makeScale } from '../charts/colorScale.ts';
import { Heatmap, showWhitespace, type Cell } from '../charts/Heatmap.tsx';
import { Placeholder } from '../charts/Status.tsx';
import { TopTokensBar } from '../charts/TopTokensBar.tsx';
import { matrixCsv } from '../lib/exportData.ts';
import { gridDifference, lensRowLabel, lensStat, STAT_INFO, type LensBundle } from '../lib/lensStats.ts';
import { LENS_STATS, type LensStat, type RunChoice } from '../state/viewState.ts';

export interface LogitLensViewProps {
  clean: LensBundle;
  /** Needed for run 'corrupted' and 'diff'. */
  corrupted?: LensBundle;
  stat: LensStat;
  run: RunChoice;
  selected: Cell | null;
  onSelect: (cell: Cell | null) => void;
  onStat: (stat: LensStat) => void;
}

export function LogitLensView({ clean, corrupted, stat, run, selected, onSelect, onStat }: LogitLensViewProps) {
  const shown = run === 'corrupted' ? corrupted : clean;
  const info = STAT_INFO[stat];
  const values = useMemo((): number[][] | string => {
    if (!shown) return 'enter a corrupted prompt to see its run';
    const main = lensStat(shown, stat);
    if (run !== 'diff' || typeof main === 'string') return main;
    if (!corrupted) return 'enter a corrupted prompt to see clean − corrupted';
    const other = lensStat(corrupted, stat);
    return typeof other === 'string' ? other : gridDifference(main, other);
  }, [shown, corrupted, stat, run]);

  const lens = shown?.lens ?? clean.lens;
  const rowLabels = lens.layers.map((name, i) => lensRowLabel(name, i, lens.layers.length));
  const colLabels = lens.positions.map((t, p) => `${p} ${showWhitespace(t)}`);
  const scale = useMemo(
    () => (typeof values === 'string' ? null : makeScale(values, run === 'diff' ? { kind: 'diverging' } : info.domain ? { domain: info.domain } : {})),
    [values, run, info.domain],
  );
  const label = run === 'diff' ? `Δ ${info.label} (clean − corrupted)` : info.label;
  const sel = selected && selected.row < lens.layers.length && selected.col < lens.positions.length ? selected : null;

  const tipTop = (bundle: LensBundle | undefined, cell: Cell) =>
    bundle?.lens.top[cell.row]?.[cell.col]?.slice(0, 5).map((t, k) => (
      <tr key={k}>
        <td>{showWhitespace(t.token)}</td>
        <td>{formatValue(t.prob, 3)}</td>
      </tr>
    ));

  return (
    <div className="row">
      <ChartFrame
        testId="lens-chart"
        title={`Logit lens — ${run === 'diff' ? 'clean − corrupted' : run}`}
        caption={
          <>
            Each row reads the residual stream before that layer (final: the model's output) through the final norm and unembedding.
            Cell text: top next-token prediction{run === 'diff' ? ' (clean)' : ''}. Colour: {label}
            {info.lowerIsBetter ? ' (lower = more confident)' : ''}.
            {lens.targetToken ? ` Answer token: ${JSON.stringify(lens.targetToken.token)} (#${lens.targetToken.id}).` : ''}
          </>
        }
        controls={
          <label>
            colour by
            <select value={stat} onChange={(e) => onStat(e.target.value as LensStat)} data-testid="lens-stat">
              {LENS_STATS.map((s) => <option key={s} value={s}>{STAT_INFO[s].label}</option>)}
            </select>
          </label>
        }
        data={
          typeof values === 'string'
            ? undefined
            : {
                name: `logit-lens-${stat}-${run}`,
                csv: () => matrixCsv({ rowLabels, colLabels, values }, 'layer \\ position'),
                json: () => ({ stat, run, label, layers: lens.layers, positions: lens.positions, values, top: lens.top.map((r) => r.map((c) => c[0])) }),
              }
        }
      >
        {typeof values === 'string' || !scale ? (
          <Placeholder>{values}</Placeholder>
        ) : (
          <Heatmap
            testId="lens-heatmap"
            values={values}
            rowLabels={rowLabels}
            colLabels={colLabels}
            scale={scale}
            legendLabel={label}
            rowAxisLabel="layer (residual read)"
            colAxisLabel="position (token predicted after it)"
            cellWidth={Math.max(48, Math.min(76, 900 / Math.max(1, colLabels.length)))}
            cellText={({ row, col }) => lens.top[row]?.[col]?.[0]?.token}
            selected={sel}
            onCellClick={(cell) => onSelect(sel && sel.row === cell.row && sel.col === cell.col ? null : cell)}
            tooltip={(cell) => (
              <div>
                <div className="tip-title">
                  {rowLabels[cell.row]} · pos {cell.col} {JSON.stringify(lens.positions[cell.col])}
                </div>
                <div>{label}: {formatValue(values[cell.row][cell.col], 4)}</div>
                {run === 'diff' ? (
                  <div className="side-by-side">
                    <table><tbody><tr><td>clean</td></tr>{tipTop(clean, cell)}</tbody></table>
                    <table><tbody><tr><td>corrupted</td></tr>{tipTop(corrupted, cell)}</tbody></table>
                  </div>
                ) : (
                  <table><tbody>{tipTop(shown, cell)}</tbody></table>
                )}
              </div>
            )}
          />
        )}
      </ChartFrame>
      {sel && shown && <CellDistribution bundles={run === 'diff' ? [['clean', clean], ['corrupted', corrupted]] : [[run, shown]]} cell={sel} rowLabel={rowLabels[sel.row]} />}
    </div>
  );
}

function CellDistribution({ bundles, cell, rowLabel }: { bundles: [string, LensBundle | undefined][]; cell: Cell; rowLabel: string }) {
  return (
    <ChartFrame
      testId="lens-distribution"
      title={`${rowLabel} · position ${cell.col}`}
      caption="This layer's next-token distribution (top tokens) at the clicked position."
      data={{
        name: `lens-distribution-${rowLabel}-pos${cell.col}`,
        csv: () => [['run', 'rank', 'token', 'id', 'prob'], ...bundles.flatMap(([run, b]) => (b?.lens.top[cell.row]?.[cell.col] ?? []).map((t, k) => [run, String(k), t.token, String(t.id), String(t.prob)]))],
        json: () => Object.fromEntries(bundles.map(([run, b]) => [run, b?.lens.top[cell.row]?.[cell.col] ?? []])),
      }}
    >
      {bundles.map(([run, b]) => {
        if (!b) return null;
        const { lens } = b;
        const target = lens.target?.[cell.row]?.[cell.col];
        return (
          <div key={run}>
            <div className="status">
              <b>{run}</b> · token {JSON.stringify(lens.positions[cell.col])} · entropy {formatValue(lens.entropy[cell.row][cell.col])} nats · KL to final {formatValue(lens.klToFinal[cell.row][cell.col])}
              {target && lens.targetToken ? ` · ${JSON.stringify(lens.targetToken.token)}: p=${formatValue(target.prob)} rank ${target.rank}` : ''}
            </div>
            <TopTokensBar tokens={lens.top[cell.row][cell.col]} highlight={lens.targetToken?.token} />
          </div>
        );
      })}
    </ChartFrame>
  );
}
