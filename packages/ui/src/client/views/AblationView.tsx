/**
 * Head ablation: a layers × heads grid. Click heads to choose them, ablate them together
 * (zero or mean) and compare predictions and loss with the clean run; or sweep every head
 * one at a time and colour the grid by each head's effect.
 */
import type { AblateResponse, AblationSweepResult, ConfigSummary, HeadRef, JobProgress } from '../../api/index.ts';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue } from '../charts/colorScale.ts';
import { cellNumber, Heatmap } from '../charts/Heatmap.tsx';
import { ErrorBox, Loading, ProgressBar } from '../charts/Status.tsx';
import { TopTokensBar } from '../charts/TopTokensBar.tsx';
import { matrixCsv } from '../lib/exportData.ts';

export interface RequestView<T> {
  data?: T;
  loading: boolean;
  error?: string;
  progress?: JobProgress;
}

export interface AblationViewProps {
  config: ConfigSummary;
  selected: readonly HeadRef[];
  mode: 'zero' | 'mean';
  /** Whether answer and wrong tokens are set (the sweep then also measures the logit difference). */
  hasMetric: boolean;
  ablation: RequestView<AblateResponse>;
  sweep: RequestView<AblationSweepResult>;
  onToggle: (head: HeadRef) => void;
  onClear: () => void;
  onMode: (mode: 'zero' | 'mean') => void;
  onAblate: () => void;
  onSweep: () => void;
  onCancelSweep: () => void;
  /** Which sweep result colours the grid, when the sweep measured both. */
  sweepShows: 'metric' | 'loss';
  onSweepShows: (shows: 'metric' | 'loss') => void;
}

export function AblationView(props: AblationViewProps) {
  const { config, selected, mode, ablation, sweep } = props;
  const useMetric = props.sweepShows === 'metric' ? !!sweep.data?.metricDelta : !sweep.data?.lossDelta;
  const sweepGrid = useMetric ? sweep.data?.metricDelta : sweep.data?.lossDelta;
  const sweepLabel = useMetric ? 'Δ logit difference when ablated' : 'Δ loss when ablated (nats)';
  const values = sweepGrid ?? Array.from({ length: config.nLayers }, () => Array.from({ length: config.nHeads }, () => NaN));
  const rowLabels = Array.from({ length: config.nLayers }, (_, l) => `L${l}`);
  const colLabels = Array.from({ length: config.nHeads }, (_, h) => `H${h}`);
  const isSelected = ({ row, col }: { row: number; col: number }) => selected.some((h) => h.layer === row && h.head === col);

  return (
    <div className="row">
      <ChartFrame
        testId="ablation-grid"
        title="Head ablation — layers × heads"
        caption={
          <>
            Click heads to choose them (dashed outline), then ablate them together. “Sweep all heads” ablates each head alone and colours the grid by its effect
            {sweepGrid ? `: ${sweepLabel}` : ''}.
          </>
        }
        controls={
          <>
            <label>
              mode
              <select value={mode} onChange={(e) => props.onMode(e.target.value as 'zero' | 'mean')} data-testid="ablation-mode">
                <option value="zero">zero</option>
                <option value="mean">mean (over positions)</option>
              </select>
            </label>
            <button type="button" className="primary" disabled={selected.length === 0 || ablation.loading} onClick={props.onAblate} data-testid="ablate-run">
              Ablate {selected.length || ''} selected
            </button>
            <button type="button" disabled={selected.length === 0} onClick={props.onClear}>clear</button>
            <button type="button" disabled={sweep.loading} onClick={props.onSweep} data-testid="sweep-run">Sweep all heads</button>
            {sweep.data?.metricDelta && sweep.data.lossDelta && (
              <label>
                colour by
                <select value={useMetric ? 'metric' : 'loss'} onChange={(e) => props.onSweepShows(e.target.value as 'metric' | 'loss')} data-testid="sweep-shows">
                  <option value="metric">Δ logit difference</option>
                  <option value="loss">Δ loss</option>
                </select>
              </label>
            )}
          </>
        }
        data={
          sweepGrid && {
            name: `ablation-sweep-${mode}`,
            csv: () => matrixCsv({ rowLabels, colLabels, values: sweepGrid }, 'layer \\ head'),
            json: () => ({ mode, shown: useMetric ? 'metricDelta' : 'lossDelta', ...sweep.data }),
          }
        }
      >
        {sweep.loading && <ProgressBar progress={sweep.progress} label="sweeping heads" onCancel={props.onCancelSweep} />}
        {sweep.error && <ErrorBox error={sweep.error} />}
        <Heatmap
          testId="ablation-heatmap"
          values={values}
          rowLabels={rowLabels}
          colLabels={colLabels}
          legendLabel={sweepGrid ? sweepLabel : 'run the sweep to colour heads'}
          rowAxisLabel="layer"
          colAxisLabel="head"
          cellWidth={52}
          cellHeight={28}
          marked={isSelected}
          cellText={({ row, col }) => (sweepGrid ? cellNumber(sweepGrid[row][col]) : `${row}.${col}`)}
          onCellClick={({ row, col }) => props.onToggle({ layer: row, head: col })}
          tooltip={({ row, col }) => (
            <div>
              <div className="tip-title">L{row}H{col} {isSelected({ row, col }) ? '(selected)' : ''}</div>
              {sweep.data?.lossDelta && <div>Δ loss: {formatValue(sweep.data.lossDelta[row][col], 4)}</div>}
              {sweep.data?.metricDelta && <div>Δ logit diff: {formatValue(sweep.data.metricDelta[row][col], 4)}</div>}
              <div>click to {isSelected({ row, col }) ? 'unselect' : 'select'}</div>
            </div>
          )}
        />
        {sweep.data && (
          <div className="status">
            clean loss {formatValue(sweep.data.lossClean ?? NaN)}
            {sweep.data.metricClean !== undefined ? ` · clean logit difference ${formatValue(sweep.data.metricClean)}` : ''}
          </div>
        )}
      </ChartFrame>
      <ChartFrame
        testId="ablation-result"
        title={`Clean vs ablated${ablation.data ? '' : ''}`}
        caption={selected.length ? `Ablating ${selected.map((h) => `L${h.layer}H${h.head}`).join(', ')} (${mode}).` : 'Select heads in the grid.'}
        data={
          ablation.data && {
            name: 'ablation',
            csv: () => [
              ['run', 'rank', 'token', 'id', 'probability'],
              ...ablation.data!.predictions.flatMap((p) => [
                ...p.clean.map((t, k) => ['clean', String(k), t.text ?? '', String(t.token), String(t.probability)]),
                ...p.ablated.map((t, k) => ['ablated', String(k), t.text ?? '', String(t.token), String(t.probability)]),
              ]),
            ],
            json: () => ({ heads: selected, mode, ...ablation.data }),
          }
        }
      >
        {ablation.loading && <Loading>ablating…</Loading>}
        {ablation.error && <ErrorBox error={ablation.error} onRetry={props.onAblate} />}
        {ablation.data && <AblationSummary result={ablation.data} />}
      </ChartFrame>
    </div>
  );
}

/** A signed change, red when it is worse: a higher loss, or a lower logit difference. */
function Delta({ value, higherIsBetter = false }: { value: number; higherIsBetter?: boolean }) {
  const worse = higherIsBetter ? value < 0 : value > 0;
  return <span className={value === 0 ? '' : worse ? 'delta-worse' : 'delta-better'}>{value > 0 ? '+' : ''}{formatValue(value, 4)}</span>;
}

function AblationSummary({ result }: { result: AblateResponse }) {
  const predictions = result.predictions[0];
  return (
    <div data-testid="ablation-summary">
      <dl className="kv">
        <dt>loss clean</dt><dd data-testid="loss-clean">{formatValue(result.lossClean, 4)}</dd>
        <dt>loss ablated</dt><dd data-testid="loss-ablated">{formatValue(result.lossAblated, 4)}</dd>
        <dt>Δ loss</dt><dd data-testid="loss-delta"><Delta value={result.lossDelta} /></dd>
        {result.metricClean !== undefined && (
          <>
            <dt>logit diff clean</dt><dd>{formatValue(result.metricClean, 4)}</dd>
            <dt>logit diff ablated</dt><dd>{formatValue(result.metricAblated ?? NaN, 4)}</dd>
            <dt>Δ logit diff</dt><dd><Delta value={result.metricDelta ?? NaN} higherIsBetter /></dd>
          </>
        )}
      </dl>
      {predictions && (
        <div className="side-by-side">
          <div>
            <h4>clean · next token after position {result.position}</h4>
            <TopTokensBar tokens={predictions.clean.map((t) => ({ token: t.text ?? `#${t.token}`, prob: t.probability }))} width={300} />
          </div>
          <div>
            <h4>ablated</h4>
            <TopTokensBar tokens={predictions.ablated.map((t) => ({ token: t.text ?? `#${t.token}`, prob: t.probability }))} width={300} color="#c2572b" />
          </div>
        </div>
      )}
    </div>
  );
}
