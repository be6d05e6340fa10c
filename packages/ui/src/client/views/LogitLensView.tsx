/**
 * Logit lens: layers × positions, each cell coloured by the chosen statistic of that
 * layer's next-token reading, with the top token written in it. Hover for the top 5,
 * click for the layer's whole (top-k) distribution. Shows the clean run, the corrupted
 * one, clean − corrupted, or all three side by side (the two runs on one shared scale).
 */
import { useMemo } from 'react';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue, makeScale, type ColorScale } from '../charts/colorScale.ts';
import { Heatmap, showWhitespace, type Cell } from '../charts/Heatmap.tsx';
import { ErrorBox, Placeholder } from '../charts/Status.tsx';
import { TopTokensBar } from '../charts/TopTokensBar.tsx';
import { matrixCsv } from '../lib/exportData.ts';
import { colourMeaning, lensPanel, lensRowLabel, lensScaleOptions, STAT_INFO, type LensBundle, type Unavailable } from '../lib/lensStats.ts';
import { PANEL_LABEL, panelsFor, panelTestId, type Panel } from '../lib/runs.ts';
import type { LensStat, RunChoice } from '../state/viewState.ts';

export interface LogitLensViewProps {
  clean: LensBundle;
  /** Needed for run 'corrupted', 'diff' and 'side'. */
  corrupted?: LensBundle;
  /** Why there is no corrupted run yet (shown in its panels). */
  noCorrupted: string;
  stat: LensStat;
  run: RunChoice;
  selected: Cell | null;
  onSelect: (cell: Cell | null) => void;
}

export function LogitLensView({ clean, corrupted, noCorrupted, stat, run, selected, onSelect }: LogitLensViewProps) {
  const panels = panelsFor(run);
  const values = useMemo(
    () => new Map(panels.map((panel) => [panel, lensPanel(panel, stat, clean, corrupted, noCorrupted)] as const)),
    [panels.join(), stat, clean, corrupted, noCorrupted], // eslint-disable-line react-hooks/exhaustive-deps
  );
  // The runs shown share one scale, so the same colour means the same value in each; Δ has its own, around 0.
  const scales = useMemo(() => {
    const runGrids = panels.filter((p) => p !== 'diff').map((p) => values.get(p)).filter((v): v is number[][] => Array.isArray(v));
    const runScale = runGrids.length > 0 ? makeScale(runGrids.flat(1), lensScaleOptions(stat, 'clean')) : null;
    return new Map(panels.map((panel) => {
      const v = values.get(panel);
      return [panel, !Array.isArray(v) ? null : panel === 'diff' ? makeScale(v, lensScaleOptions(stat, 'diff')) : runScale] as const;
    }));
  }, [values, stat]); // eslint-disable-line react-hooks/exhaustive-deps

  const { lens } = clean;
  const sel = selected && selected.row < lens.layers.length && selected.col < lens.positions.length ? selected : null;
  const side = run === 'side';
  const distribution: [string, LensBundle | undefined][] = run === 'clean' ? [['clean', clean]] : run === 'corrupted' ? [['corrupted', corrupted]] : [['clean', clean], ['corrupted', corrupted]];
  const charts = panels.map((panel) => (
    <LensChart
      key={panel}
      panel={panel}
      run={run}
      stat={stat}
      values={values.get(panel)!}
      scale={scales.get(panel) ?? null}
      clean={clean}
      corrupted={corrupted}
      selected={sel}
      onSelect={onSelect}
    />
  ));
  return (
    <div className="row">
      {side ? <div className="row compare grow">{charts}</div> : charts}
      {sel && <CellDistribution bundles={distribution} cell={sel} rowLabel={lensRowLabel(lens.layers[sel.row], sel.row, lens.layers.length)} />}
    </div>
  );
}

interface LensChartProps {
  panel: Panel;
  run: RunChoice;
  stat: LensStat;
  values: number[][] | Unavailable;
  scale: ColorScale | null;
  clean: LensBundle;
  corrupted?: LensBundle;
  selected: Cell | null;
  onSelect: (cell: Cell | null) => void;
}

/** One panel: a heatmap of one run (or of the difference), in its own exportable frame. */
function LensChart({ panel, run, stat, values, scale, clean, corrupted, selected, onSelect }: LensChartProps) {
  const info = STAT_INFO[stat];
  // Cell text, labels and hover tokens come from the run the panel shows (the difference: from clean).
  const own = panel === 'corrupted' ? corrupted : clean;
  const lens = own?.lens ?? clean.lens;
  const rowLabels = lens.layers.map((name, i) => lensRowLabel(name, i, lens.layers.length));
  const colLabels = lens.positions.map((t, p) => `${p} ${showWhitespace(t)}`);
  const label = panel === 'diff' ? `Δ ${info.label} (clean − corrupted)` : info.label;
  const side = run === 'side';
  const grid = Array.isArray(values) ? values : null;

  const tipTop = (bundle: LensBundle | undefined, cell: Cell) =>
    bundle?.lens.top[cell.row]?.[cell.col]?.slice(0, 5).map((t, k) => (
      <tr key={k}>
        <td>{showWhitespace(t.token)}</td>
        <td>{formatValue(t.prob, 3)}</td>
      </tr>
    ));

  const caption =
    side && panel !== 'clean' ? (
      panel === 'corrupted' ? `The corrupted prompt, on the same colour scale as clean. Colour: ${label}.` : `Cell by cell, clean minus corrupted; 0 (white) where the runs agree. Cell text: clean's top token.`
    ) : (
      <>
        Each row reads the residual stream before that layer (final: the model's output) through the final norm and unembedding.
        Cell text: top next-token prediction{panel === 'diff' ? ' (clean)' : ''}. Colour: {panel === 'diff' ? label : colourMeaning(stat)}.
        {lens.targetToken ? ` Answer token: ${JSON.stringify(lens.targetToken.token)} (#${lens.targetToken.id}).` : ''}
      </>
    );

  return (
    <ChartFrame
      testId={panelTestId('lens-chart', panel, run)}
      title={`Logit lens — ${PANEL_LABEL[panel]}`}
      caption={caption}
      data={
        grid
          ? {
              name: `logit-lens-${stat}-${panel}`,
              csv: () => matrixCsv({ rowLabels, colLabels, values: grid }, 'layer \\ position'),
              json: () => ({ stat, run: panel, label, layers: lens.layers, positions: lens.positions, values: grid, top: lens.top.map((r) => r.map((c) => c[0])) }),
            }
          : undefined
      }
    >
      {!grid || !scale ? (
        'why' in values && values.error ? <ErrorBox error={values.why} /> : <Placeholder>{'why' in values ? values.why : ''}</Placeholder>
      ) : (
        <Heatmap
          testId={panelTestId('lens-heatmap', panel, run)}
          values={grid}
          rowLabels={rowLabels}
          colLabels={colLabels}
          scale={scale}
          legendLabel={label}
          rowAxisLabel="layer (residual read)"
          colAxisLabel="position (token predicted after it)"
          cellWidth={Math.max(side ? 34 : 48, Math.min(76, (side ? 560 : 900) / Math.max(1, colLabels.length)))}
          cellText={({ row, col }) => lens.top[row]?.[col]?.[0]?.token}
          selected={selected}
          onCellClick={(cell) => onSelect(selected && selected.row === cell.row && selected.col === cell.col ? null : cell)}
          tooltip={(cell) => (
            <div>
              <div className="tip-title">
                {rowLabels[cell.row]} · pos {cell.col} {JSON.stringify(lens.positions[cell.col])}
              </div>
              <div>{label}: {formatValue(grid[cell.row][cell.col], 4)}</div>
              {panel === 'diff' ? (
                <div className="side-by-side">
                  <table><tbody><tr><td>clean</td></tr>{tipTop(clean, cell)}</tbody></table>
                  <table><tbody><tr><td>corrupted</td></tr>{tipTop(corrupted, cell)}</tbody></table>
                </div>
              ) : (
                <table><tbody>{tipTop(own, cell)}</tbody></table>
              )}
            </div>
          )}
        />
      )}
    </ChartFrame>
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
        if (!lens.top[cell.row]?.[cell.col]) return null;
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
