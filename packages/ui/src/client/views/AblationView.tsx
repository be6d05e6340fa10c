/**
 * Head ablation: a layers × heads grid. Click heads to choose them, ablate them together
 * (zero or mean) and compare predictions and loss with the unablated run; or sweep every
 * head one at a time and colour the grid by each head's effect. Runs on the clean prompt,
 * the corrupted one, shows the difference of the two runs' effects, or all three side by side.
 */
import type { ReactNode } from 'react';
import type { AblateResponse, AblationSweepResult, ConfigSummary, HeadRef, JobProgress } from '../../api/index.ts';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue, makeScale, type ColorScale } from '../charts/colorScale.ts';
import { cellNumber, Heatmap } from '../charts/Heatmap.tsx';
import { Cancelled, ErrorBox, Loading, Placeholder, ProgressBar } from '../charts/Status.tsx';
import { TopTokensBar } from '../charts/TopTokensBar.tsx';
import { sweepMeasure, sweepPanel, type SweepMeasure } from '../lib/ablationPanels.ts';
import { matrixCsv } from '../lib/exportData.ts';
import { ablationDifference, PANEL_LABEL, panelsFor, panelTestId, usesClean, usesCorrupted, type Panel } from '../lib/runs.ts';
import type { RunChoice } from '../state/viewState.ts';

export interface RequestView<T> {
  data?: T;
  loading: boolean;
  error?: string;
  progress?: JobProgress;
  cancelled?: boolean;
}

type Which = 'clean' | 'corrupted';

export interface AblationViewProps {
  /** The run choice control, shown first in the toolbar. */
  runPicker?: ReactNode;
  run: RunChoice;
  /** Why the corrupted prompt cannot be run, if so. */
  noCorrupted?: string;
  config: ConfigSummary;
  selected: readonly HeadRef[];
  mode: 'zero' | 'mean';
  ablation: Record<Which, RequestView<AblateResponse>>;
  sweep: Record<Which, RequestView<AblationSweepResult>>;
  onToggle: (head: HeadRef) => void;
  onClear: () => void;
  onMode: (mode: 'zero' | 'mean') => void;
  onAblate: () => void;
  onSweep: () => void;
  onCancelSweep: (which: Which) => void;
  /** Which sweep result colours the grid, when the sweep measured both. */
  sweepShows: SweepMeasure;
  onSweepShows: (shows: SweepMeasure) => void;
}

const WHICH: Which[] = ['clean', 'corrupted'];

export function AblationView(props: AblationViewProps) {
  const { config, selected, mode, ablation, sweep, run } = props;
  const panels = panelsFor(run);
  const side = run === 'side';
  const used = WHICH.filter((w) => (w === 'clean' ? usesClean(run) : usesCorrupted(run)));
  const sweeps = used.map((w) => sweep[w].data);
  const measure = sweepMeasure(props.sweepShows, sweeps);
  const bothMeasures = sweeps.some((s) => s?.metricDelta) && sweeps.some((s) => s?.lossDelta);
  const grids = new Map(panels.map((p) => [p, sweepPanel(p, measure, sweep.clean.data, sweep.corrupted.data)] as const));
  // The two runs share one scale so their colours compare; the difference gets its own. All signed: diverging, 0 = white.
  const runValues = panels.filter((p) => p !== 'diff').flatMap((p) => grids.get(p)?.values ?? []);
  const runScale = makeScale(runValues, { kind: 'diverging', ...(runValues.length === 0 && { domain: [-1, 1] }) });
  const diffValues = grids.get('diff')?.values;
  const scales: Record<Panel, ColorScale> = { clean: runScale, corrupted: runScale, diff: makeScale(diffValues ?? [], { kind: 'diverging', ...(!diffValues && { domain: [-1, 1] }) }) };
  const blocked = used.some((w) => ablation[w].loading) || selected.length === 0;

  const toolbar = (
    <div className="toolbar">
      {props.runPicker}
      <label>
        mode
        <select value={mode} onChange={(e) => props.onMode(e.target.value as 'zero' | 'mean')} data-testid="ablation-mode">
          <option value="zero">zero</option>
          <option value="mean">mean (over positions)</option>
        </select>
      </label>
      <button type="button" className="primary" disabled={blocked} onClick={props.onAblate} data-testid="ablate-run">
        Ablate {selected.length || ''} selected
      </button>
      <button type="button" disabled={selected.length === 0} onClick={props.onClear}>clear</button>
      <button type="button" disabled={used.some((w) => sweep[w].loading)} onClick={props.onSweep} data-testid="sweep-run">Sweep all heads</button>
      {bothMeasures && (
        <label>
          colour by
          <select value={measure} onChange={(e) => props.onSweepShows(e.target.value as SweepMeasure)} data-testid="sweep-shows">
            <option value="metric">Δ logit difference</option>
            <option value="loss">Δ loss</option>
          </select>
        </label>
      )}
    </div>
  );
  const progress = used.map((w) =>
    sweep[w].loading ? (
      <ProgressBar key={w} progress={sweep[w].progress} label={`sweeping heads on the ${w} prompt`} onCancel={() => props.onCancelSweep(w)} />
    ) : sweep[w].cancelled ? (
      <Cancelled key={w} what={`sweep on the ${w} prompt`} />
    ) : null,
  );
  const errors = used.map((w) => (sweep[w].error ? <ErrorBox key={w} error={`sweep on the ${w} prompt: ${sweep[w].error}`} onRetry={props.onSweep} /> : null));
  const gridPanels = panels.map((p) => <SweepGrid key={p} panel={p} {...props} values={grids.get(p)!.values} label={grids.get(p)!.label} scale={scales[p]} />);
  const resultPanels = panels.map((p) => <ResultPanel key={p} panel={p} {...props} />);

  return (
    <>
      {toolbar}
      {progress}
      {errors}
      {side ? (
        <>
          <div className="row compare">{gridPanels}</div>
          <div className="row compare">{resultPanels}</div>
        </>
      ) : (
        <div className="row">
          {gridPanels}
          {resultPanels}
        </div>
      )}
    </>
  );
}

function SweepGrid({ panel, run, config, selected, mode, sweep, noCorrupted, onToggle, values, label, scale }: AblationViewProps & { panel: Panel; values?: number[][]; label: string; scale: ColorScale }) {
  const rowLabels = Array.from({ length: config.nLayers }, (_, l) => `L${l}`);
  const colLabels = Array.from({ length: config.nHeads }, (_, h) => `H${h}`);
  const shown = values ?? rowLabels.map(() => colLabels.map(() => NaN));
  const isSelected = ({ row, col }: { row: number; col: number }) => selected.some((h) => h.layer === row && h.head === col);
  const own = panel === 'diff' ? undefined : sweep[panel].data;
  const missing = panel !== 'clean' && noCorrupted;
  const side = run === 'side';
  return (
    <ChartFrame
      testId={panelTestId('ablation-grid', panel, run)}
      title={side ? `Heads — ${PANEL_LABEL[panel]}` : `Head ablation — layers × heads (${PANEL_LABEL[panel]})`}
      caption={
        side && panel !== 'clean'
          ? panel === 'diff' ? 'Per head: its effect on the clean run minus its effect on the corrupted run.' : 'The same sweep on the corrupted prompt, on the clean grid’s colour scale.'
          : <>
              Click heads to choose them (dashed outline), then ablate them together. “Sweep all heads” ablates each head alone and colours the grid by its effect
              {values ? `: ${label}` : ''}.
            </>
      }
      data={
        values && {
          name: `ablation-sweep-${mode}-${panel}`,
          csv: () => matrixCsv({ rowLabels, colLabels, values }, 'layer \\ head'),
          json: () => ({ mode, run: panel, shown: label, values, ...(own ?? {}) }),
        }
      }
    >
      {missing ? <Placeholder>{missing}</Placeholder> : (
        <Heatmap
          testId={panelTestId('ablation-heatmap', panel, run)}
          values={shown}
          rowLabels={rowLabels}
          colLabels={colLabels}
          scale={scale}
          legendLabel={values ? label : 'run the sweep to colour heads'}
          rowAxisLabel="layer"
          colAxisLabel="head"
          cellWidth={side ? 44 : 52}
          cellHeight={side ? 26 : 28}
          marked={isSelected}
          cellText={({ row, col }) => (values ? cellNumber(values[row][col]) : `${row}.${col}`)}
          onCellClick={({ row, col }) => onToggle({ layer: row, head: col })}
          tooltip={({ row, col }) => (
            <div>
              <div className="tip-title">L{row}H{col} {isSelected({ row, col }) ? '(selected)' : ''}</div>
              {values && <div>{label}: {formatValue(values[row][col], 4)}</div>}
              {own?.lossDelta && <div>Δ loss: {formatValue(own.lossDelta[row][col], 4)}</div>}
              {own?.metricDelta && <div>Δ logit diff: {formatValue(own.metricDelta[row][col], 4)}</div>}
              <div>click to {isSelected({ row, col }) ? 'unselect' : 'select'}</div>
            </div>
          )}
        />
      )}
      {own && (
        <div className="status">
          {panel} prompt unablated: loss {formatValue(own.lossClean ?? NaN)}
          {own.metricClean !== undefined ? ` · logit difference ${formatValue(own.metricClean)}` : ''}
        </div>
      )}
    </ChartFrame>
  );
}

function ResultPanel({ panel, run, selected, mode, ablation, noCorrupted, onAblate }: AblationViewProps & { panel: Panel }) {
  const heads = selected.map((h) => `L${h.layer}H${h.head}`).join(', ');
  const caption = selected.length ? `Ablating ${heads} (${mode}).` : 'Select heads in the grid.';
  if (panel === 'diff') {
    const [c, k] = [ablation.clean, ablation.corrupted];
    const diff = c.data && k.data ? ablationDifference(c.data, k.data) : undefined;
    return (
      <ChartFrame
        testId={panelTestId('ablation-result', panel, run)}
        title="Ablation effect — clean − corrupted"
        caption={`${caption} How much more the ablation changes the clean run than the corrupted one.`}
        data={
          diff && {
            name: 'ablation-effect-difference',
            csv: () => [
              ['measure', 'clean', 'corrupted', 'clean - corrupted'],
              ['loss change', String(c.data!.lossDelta), String(k.data!.lossDelta), String(diff.lossDelta)],
              ...(diff.metricDelta !== undefined ? [['logit difference change', String(c.data!.metricDelta), String(k.data!.metricDelta), String(diff.metricDelta)]] : []),
            ],
            json: () => ({ heads: selected, mode, clean: c.data, corrupted: k.data, difference: diff }),
          }
        }
      >
        {(c.loading || k.loading) && <Loading>ablating…</Loading>}
        {[c, k].map((r, i) => (r.error ? <ErrorBox key={i} error={r.error} onRetry={onAblate} /> : null))}
        {noCorrupted && <Placeholder>{noCorrupted}</Placeholder>}
        {diff && (
          <table className="data" data-testid="ablation-difference">
            <thead>
              <tr><th className="name">change when ablated</th><th>clean</th><th>corrupted</th><th>clean − corrupted</th></tr>
            </thead>
            <tbody>
              <tr>
                <td className="name">Δ loss</td>
                <td className="mono">{formatValue(c.data!.lossDelta, 4)}</td>
                <td className="mono">{formatValue(k.data!.lossDelta, 4)}</td>
                <td className="mono" data-testid="diff-loss-delta">{formatValue(diff.lossDelta, 4)}</td>
              </tr>
              {diff.metricDelta !== undefined && (
                <tr>
                  <td className="name">Δ logit diff</td>
                  <td className="mono">{formatValue(c.data!.metricDelta!, 4)}</td>
                  <td className="mono">{formatValue(k.data!.metricDelta!, 4)}</td>
                  <td className="mono" data-testid="diff-metric-delta">{formatValue(diff.metricDelta, 4)}</td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </ChartFrame>
    );
  }
  const result = ablation[panel];
  return (
    <ChartFrame
      testId={panelTestId('ablation-result', panel, run)}
      title={`${PANEL_LABEL[panel]} prompt — unablated vs ablated`}
      caption={caption}
      data={
        result.data && {
          name: `ablation-${panel}`,
          csv: () => [
            ['run', 'rank', 'token', 'id', 'probability'],
            ...result.data!.predictions.flatMap((p) => [
              ...p.clean.map((t, k) => ['unablated', String(k), t.text ?? '', String(t.token), String(t.probability)]),
              ...p.ablated.map((t, k) => ['ablated', String(k), t.text ?? '', String(t.token), String(t.probability)]),
            ]),
          ],
          json: () => ({ prompt: panel, heads: selected, mode, ...result.data }),
        }
      }
    >
      {panel === 'corrupted' && noCorrupted && <Placeholder>{noCorrupted}</Placeholder>}
      {result.loading && <Loading>ablating…</Loading>}
      {result.error && <ErrorBox error={result.error} onRetry={onAblate} />}
      {result.data && <AblationSummary result={result.data} testId={panelTestId('ablation-summary', panel, run)} compact={run === 'side'} />}
    </ChartFrame>
  );
}

/** A signed change, red when it is worse: a higher loss, or a lower logit difference. */
function Delta({ value, higherIsBetter = false }: { value: number; higherIsBetter?: boolean }) {
  const worse = higherIsBetter ? value < 0 : value > 0;
  return <span className={value === 0 ? '' : worse ? 'delta-worse' : 'delta-better'}>{value > 0 ? '+' : ''}{formatValue(value, 4)}</span>;
}

function AblationSummary({ result, testId, compact }: { result: AblateResponse; testId: string; compact: boolean }) {
  const predictions = result.predictions[0];
  const barWidth = compact ? 210 : 300;
  return (
    <div data-testid={testId}>
      <dl className="kv">
        <dt>loss unablated</dt><dd data-testid="loss-unablated">{formatValue(result.lossClean, 4)}</dd>
        <dt>loss ablated</dt><dd data-testid="loss-ablated">{formatValue(result.lossAblated, 4)}</dd>
        <dt>Δ loss</dt><dd data-testid="loss-delta"><Delta value={result.lossDelta} /></dd>
        {result.metricClean !== undefined && (
          <>
            <dt>logit diff unablated</dt><dd>{formatValue(result.metricClean, 4)}</dd>
            <dt>logit diff ablated</dt><dd>{formatValue(result.metricAblated ?? NaN, 4)}</dd>
            <dt>Δ logit diff</dt><dd data-testid="metric-delta"><Delta value={result.metricDelta ?? NaN} higherIsBetter /></dd>
          </>
        )}
      </dl>
      {predictions && (
        <div className="side-by-side">
          <div>
            <h4>{compact ? `unablated · after pos ${result.position}` : `unablated · next token after position ${result.position}`}</h4>
            <TopTokensBar tokens={predictions.clean.map((t) => ({ token: t.text ?? `#${t.token}`, prob: t.probability }))} width={barWidth} />
          </div>
          <div>
            <h4>ablated</h4>
            <TopTokensBar tokens={predictions.ablated.map((t) => ({ token: t.text ?? `#${t.token}`, prob: t.probability }))} width={barWidth} color="#c2572b" />
          </div>
        </div>
      )}
    </div>
  );
}
