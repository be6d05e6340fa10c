/**
 * Component table: one row per head and MLP layer with its direct logit attribution,
 * ablation effect and patching effect, each column colour-scaled, sortable, with row
 * actions that open the component in the other views.
 */
import { useMemo } from 'react';
import type { AblateResponse, AblationSweepResult, AttributionResponse, ConfigSummary, PatchingResult } from '../../api/index.ts';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { formatValue, makeScale, textColorOn } from '../charts/colorScale.ts';
import { COLUMNS, componentRows, sortRows, type ColumnKey, type ComponentRow } from '../lib/componentRows.ts';

export type RowAction = 'ablate' | 'patch' | 'pattern';

export interface ComponentTableViewProps {
  config: ConfigSummary;
  attribution?: AttributionResponse;
  sweep?: AblationSweepResult;
  mlpAblations?: readonly (AblateResponse | undefined)[];
  patching?: PatchingResult;
  sort: ColumnKey;
  desc: boolean;
  onSort: (key: ColumnKey, desc: boolean) => void;
  onAction: (action: RowAction, row: ComponentRow) => void;
}

const HEADER: Record<ColumnKey, string> = {
  name: 'component',
  dla: 'direct logit attribution',
  ablation: 'ablation effect',
  patching: 'patching effect',
};

export function ComponentTableView(props: ComponentTableViewProps) {
  const { config, sort, desc } = props;
  const rows = useMemo(() => componentRows(config, props), [config, props.attribution, props.sweep, props.mlpAblations, props.patching]); // eslint-disable-line react-hooks/exhaustive-deps
  const sorted = useMemo(() => sortRows(rows, sort, desc), [rows, sort, desc]);
  const scales = useMemo(() => {
    const col = (k: 'dla' | 'ablation' | 'patching') => makeScale([rows.map((r) => r[k] ?? NaN)], { kind: 'diverging' });
    return { dla: col('dla'), ablation: col('ablation'), patching: col('patching') };
  }, [rows]);
  const ablationLabel = props.sweep?.metricDelta ? 'Δ logit diff' : 'Δ loss';
  return (
    <ChartFrame
      testId="component-table"
      title="Components"
      caption={`DLA: the component's direct contribution to logit[answer]${props.attribution?.wrongToken ? ' − logit[wrong]' : ''}. Ablation: ${ablationLabel} when the component alone is zero/mean-ablated. Patching: normalised effect of patching it from clean into corrupted (heads: z at all positions; MLPs: the strongest single position). Click a header to sort.`}
      data={{
        name: 'components',
        csv: () => [['component', 'kind', 'layer', 'head', 'dla', 'ablation', 'patching'], ...sorted.map((r) => [r.name, r.kind, String(r.layer), r.head === undefined ? '' : String(r.head), String(r.dla ?? ''), String(r.ablation ?? ''), String(r.patching ?? '')])],
        json: () => sorted,
      }}
    >
      <div style={{ maxHeight: 620, overflow: 'auto' }}>
        <table className="data">
          <thead>
            <tr>
              {COLUMNS.map((k) => (
                <th key={k} className={k === 'name' ? 'name' : ''} onClick={() => props.onSort(k, sort === k ? !desc : k !== 'name')} aria-sort={sort === k ? (desc ? 'descending' : 'ascending') : 'none'}>
                  {HEADER[k]}{k === 'ablation' ? ` (${ablationLabel})` : ''} {sort === k ? (desc ? '▼' : '▲') : ''}
                </th>
              ))}
              <th className="name">actions</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.name} data-testid={`component-${r.name}`}>
                <td className="name">{r.name}</td>
                {(['dla', 'ablation', 'patching'] as const).map((k) => {
                  const v = r[k];
                  const bg = v === undefined ? undefined : scales[k].color(v);
                  return (
                    <td key={k} className="mono" style={bg ? { background: bg, color: textColorOn(bg) } : undefined}>
                      {v === undefined ? '—' : formatValue(v, 4)}
                    </td>
                  );
                })}
                <td className="name">
                  <button type="button" onClick={() => props.onAction('ablate', r)} title="Open in head ablation with this component selected" disabled={r.kind !== 'head'}>ablate</button>{' '}
                  <button type="button" onClick={() => props.onAction('patch', r)} title="Open in activation patching">patch</button>{' '}
                  <button type="button" onClick={() => props.onAction('pattern', r)} title="Open this head's attention pattern" disabled={r.kind !== 'head'}>pattern</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </ChartFrame>
  );
}
