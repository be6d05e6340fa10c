/**
 * Component table: one row per head and MLP layer with its direct logit attribution and
 * ablation effect on the clean and the corrupted prompt and their difference, and its
 * patching effect (clean → corrupted). Each group of columns shares one diverging colour
 * scale, drawn as a legend above the table; every column sorts; row actions open the
 * component in the other views.
 */
import { useMemo } from 'react';
import type { ConfigSummary, PatchingResult } from '../../api/index.ts';
import { ChartFrame } from '../charts/ChartFrame.tsx';
import { ColorLegend } from '../charts/ColorLegend.tsx';
import { legendWidth } from '../charts/legendLayout.ts';
import { formatValue, makeScale, textColorOn, type ColorScale } from '../charts/colorScale.ts';
import { COLUMN_GROUPS, columnValues, componentRows, sortRows, VALUE_COLUMNS, type ColumnGroup, type ColumnKey, type ComponentRow, type ComponentUnits, type RunSources, type ValueColumn } from '../lib/componentRows.ts';

export type RowAction = 'ablate' | 'patch' | 'pattern';

const LEGEND_BAR = 150;

export interface ComponentTableViewProps {
  config: ConfigSummary;
  clean: RunSources;
  corrupted: RunSources;
  patching?: PatchingResult;
  /** What the DLA and ablation columns measure (componentUnits of the boxes the requests use). */
  units: ComponentUnits;
  sort: ColumnKey;
  desc: boolean;
  onSort: (key: ColumnKey, desc: boolean) => void;
  onAction: (action: RowAction, row: ComponentRow) => void;
}

const SUBHEADER: Record<ValueColumn, string> = {
  dlaClean: 'clean',
  dlaCorrupted: 'corrupted',
  dlaDelta: 'Δ',
  ablationClean: 'clean',
  ablationCorrupted: 'corrupted',
  ablationDelta: 'Δ',
  patching: 'clean → corrupted',
};

const COLUMN_TITLE: Record<ValueColumn, string> = {
  dlaClean: 'direct logit attribution on the clean prompt',
  dlaCorrupted: 'direct logit attribution on the corrupted prompt',
  dlaDelta: 'DLA clean − DLA corrupted',
  ablationClean: 'ablation effect on the clean prompt',
  ablationCorrupted: 'ablation effect on the corrupted prompt',
  ablationDelta: 'ablation effect clean − corrupted',
  patching: 'normalised effect of patching the component from clean into corrupted',
};

export function ComponentTableView(props: ComponentTableViewProps) {
  const { config, sort, desc } = props;
  const rows = useMemo(() => componentRows(config, { clean: props.clean, corrupted: props.corrupted, patching: props.patching }), [config, props.clean, props.corrupted, props.patching]);
  const sorted = useMemo(() => sortRows(rows, sort, desc), [rows, sort, desc]);
  // One diverging scale per group: clean, corrupted and Δ of a quantity share colours, so they compare.
  const scales = useMemo(
    () => Object.fromEntries(COLUMN_GROUPS.map((g) => [g.key, makeScale(columnValues(rows, g.columns), { kind: 'diverging' })])) as Record<ColumnGroup, ColorScale>,
    [rows],
  );
  const isGroupStart = (c: ValueColumn) => COLUMN_GROUPS.some((g) => g.columns[0] === c);
  const groupOf = (c: ValueColumn) => COLUMN_GROUPS.find((g) => (g.columns as readonly ValueColumn[]).includes(c))!.key;
  const { dla: dlaUnit, ablation: ablationUnit } = props.units;
  const groupLabel: Record<ColumnGroup, string> = { dla: 'direct logit attribution', ablation: 'ablation effect', patching: 'patching effect' };
  // The units go in the legends, one per group.
  const legendLabel: Record<ColumnGroup, string> = { dla: `DLA: ${dlaUnit}`, ablation: `ablation: ${ablationUnit}`, patching: 'patching: normalised' };
  const sortBy = (k: ColumnKey) => props.onSort(k, sort === k ? !desc : k !== 'name');
  const arrow = (k: ColumnKey) => (sort === k ? (desc ? ' ▼' : ' ▲') : '');
  // Side by side, each as wide as its bar or caption (whichever is wider), 30 px apart.
  const legendX = COLUMN_GROUPS.reduce<number[]>((xs, g, i) => [...xs, i === 0 ? 4 : xs[i - 1] + legendWidth(legendLabel[COLUMN_GROUPS[i - 1].key], 'diverging', LEGEND_BAR) + 30], []);
  const legendsW = legendX[legendX.length - 1] + legendWidth(legendLabel[COLUMN_GROUPS[COLUMN_GROUPS.length - 1].key], 'diverging', LEGEND_BAR) + 4;

  return (
    <ChartFrame
      testId="component-table"
      title="Components"
      caption={`DLA: the component's direct contribution to ${dlaUnit}. Ablation: ${ablationUnit} when the component alone is ablated (in the head-ablation view's mode). Δ: clean − corrupted. Patching: normalised effect of patching it from clean into corrupted (heads: z at all positions; MLPs: the strongest single position). Click a column to sort.`}
      data={{
        name: 'components',
        csv: () => [['component', 'kind', 'layer', 'head', ...VALUE_COLUMNS], ...sorted.map((r) => [r.name, r.kind, String(r.layer), r.head === undefined ? '' : String(r.head), ...VALUE_COLUMNS.map((c) => String(r[c] ?? ''))])],
        json: () => sorted,
      }}
    >
      <svg data-legend width={legendsW} height={44} fontFamily="system-ui, sans-serif" data-testid="component-legend" role="img" aria-label="colour scales">
        {COLUMN_GROUPS.map((g, i) => (
          <ColorLegend key={g.key} scale={scales[g.key]} label={legendLabel[g.key]} x={legendX[i]} y={16} width={LEGEND_BAR} id={`component-legend-${g.key}`} />
        ))}
      </svg>
      <div style={{ maxHeight: 620, overflow: 'auto' }}>
        <table className="data">
          <thead>
            <tr>
              <th rowSpan={2} className="name" onClick={() => sortBy('name')} aria-sort={sort === 'name' ? (desc ? 'descending' : 'ascending') : 'none'}>component{arrow('name')}</th>
              {COLUMN_GROUPS.map((g) => (
                <th key={g.key} colSpan={g.columns.length} className="group group-start">{groupLabel[g.key]}</th>
              ))}
              <th rowSpan={2} className="name nosort">actions</th>
            </tr>
            <tr>
              {VALUE_COLUMNS.map((c) => (
                <th key={c} className={isGroupStart(c) ? 'group-start' : undefined} title={`${COLUMN_TITLE[c]} — click to sort`} onClick={() => sortBy(c)} aria-sort={sort === c ? (desc ? 'descending' : 'ascending') : 'none'} data-testid={`sort-${c}`}>
                  {SUBHEADER[c]}{arrow(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.name} data-testid={`component-${r.name}`}>
                <td className="name">{r.name}</td>
                {VALUE_COLUMNS.map((c) => {
                  const v = r[c];
                  const bg = v === undefined ? undefined : scales[groupOf(c)].color(v);
                  return (
                    <td key={c} className={isGroupStart(c) ? 'mono group-start' : 'mono'} data-col={c} data-value={v ?? ''} style={bg ? { background: bg, color: textColorOn(bg) } : undefined}>
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
