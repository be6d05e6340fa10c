/**
 * A labelled SVG heatmap: rows × columns of coloured cells, optional text in each cell,
 * a colour legend (diverging when values are signed), a hover tooltip and cell clicks.
 * A grid wider than its frame scrolls; a pinned copy of the row labels and the legend stays
 * at the frame's left edge meanwhile (the exported SVG is the whole chart, without the copy).
 * Pure: everything it shows comes from its props.
 */
import { useId, useMemo, useState, type ReactNode } from 'react';
import { ColorLegend } from './ColorLegend.tsx';
import { LEGEND_HEIGHT, legendWidth } from './legendLayout.ts';
import { formatValue, makeScale, textColorOn, type ColorScale } from './colorScale.ts';
import { Tooltip } from './Tooltip.tsx';
import type { Point } from './tooltipPlacement.ts';

export interface Cell {
  row: number;
  col: number;
}

export interface HeatmapProps {
  /** [row][col]; NaN shows as a grey "no value" cell. */
  values: readonly (readonly number[])[];
  /** Labels are drawn as given (callers make token whitespace visible with showWhitespace). */
  rowLabels: readonly string[];
  colLabels: readonly string[];
  /** Fixed scale (e.g. probabilities on [0, 1]); default: from the data. */
  scale?: ColorScale;
  legendLabel?: string;
  rowAxisLabel?: string;
  colAxisLabel?: string;
  cellText?: (cell: Cell) => string | undefined;
  tooltip?: (cell: Cell) => ReactNode;
  onCellClick?: (cell: Cell) => void;
  selected?: Cell | null;
  /** Cells drawn with a heavy outline (e.g. heads chosen for ablation). */
  marked?: (cell: Cell) => boolean;
  cellWidth?: number;
  cellHeight?: number;
  testId?: string;
}

const CHAR_W = 6.6;
const FONT = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

export function Heatmap(props: HeatmapProps) {
  const { values, rowLabels, colLabels, legendLabel, rowAxisLabel, colAxisLabel, cellText, tooltip, onCellClick, selected, marked, testId } = props;
  const scale = useMemo(() => props.scale ?? makeScale(values), [props.scale, values]);
  const gradientId = `hm${useId().replace(/[^\w]/g, '')}`;
  const [hover, setHover] = useState<{ cell: Cell; pointer: Point } | null>(null);

  const cellW = props.cellWidth ?? 44;
  const cellH = props.cellHeight ?? 24;
  const rowLabelW = Math.min(220, Math.max(...rowLabels.map((l) => l.length), 2) * CHAR_W + 12) + (rowAxisLabel ? 16 : 0);
  const longestCol = Math.max(...colLabels.map((l) => l.length), 1);
  const rotate = longestCol * CHAR_W > cellW - 4;
  const colLabelH = (rotate ? Math.min(140, longestCol * CHAR_W * 0.75 + 12) : 18) + (colAxisLabel ? 16 : 0);
  const gridW = colLabels.length * cellW;
  const gridH = rowLabels.length * cellH;
  const legendBarW = Math.max(160, Math.min(gridW, 300));
  // The legend's caption may be wider than a narrow grid: make room for it.
  const legendW = legendWidth(legendLabel, scale.kind, legendBarW);
  const width = Math.max(rowLabelW + gridW + 20, rowLabelW + legendW + 10);
  const height = colLabelH + gridH + LEGEND_HEIGHT;
  const x0 = rowLabelW;
  const y0 = colLabelH;
  const legend = (className: string, id: string) => (
    <ColorLegend scale={scale} label={legendLabel} x={x0} y={y0 + gridH + 18} width={legendBarW} id={id} className={className} />
  );
  const rowAxis = rowAxisLabel && (
    <text transform={`translate(11 ${y0 + gridH / 2}) rotate(-90)`} fontSize={11} textAnchor="middle" fill="#555" fontFamily="system-ui, sans-serif">{rowAxisLabel}</text>
  );
  const rowLabelTexts = (className: string) =>
    rowLabels.map((label, r) => (
      <text key={r} x={x0 - 6} y={y0 + r * cellH + cellH / 2 + 4} fontSize={11} textAnchor="end" fill="#333" className={className}>{label}</text>
    ));

  const move = (cell: Cell, event: React.MouseEvent) => setHover({ cell, pointer: { x: event.clientX, y: event.clientY } });

  return (
    <div className="heatmap" data-testid={testId} data-rows={rowLabels.length} data-cols={colLabels.length} onMouseLeave={() => setHover(null)}>
      <svg data-export width={Math.max(width, 240)} height={height} fontFamily={FONT} role="img">
        {colAxisLabel && <text x={x0 + gridW / 2} y={12} fontSize={11} textAnchor="middle" fill="#555" fontFamily="system-ui, sans-serif">{colAxisLabel}</text>}
        {rowAxis}
        {colLabels.map((label, c) => {
          const cx = x0 + c * cellW + cellW / 2;
          return rotate ? (
            <text key={c} transform={`translate(${cx + 3} ${y0 - 4}) rotate(-50)`} fontSize={11} fill="#333" className="col-label"><title>{label}</title>{label}</text>
          ) : (
            <text key={c} x={cx} y={y0 - 5} fontSize={11} textAnchor="middle" fill="#333" className="col-label">{label}</text>
          );
        })}
        {rowLabelTexts('row-label')}
        <g className="cells">
          {values.map((row, r) =>
            row.map((v, c) => {
              const fill = scale.color(v);
              const text = cellText?.({ row: r, col: c });
              return (
                <g key={`${r}-${c}`}>
                  <rect
                    className="cell"
                    data-row={r}
                    data-col={c}
                    data-value={Number.isFinite(v) ? v : ''}
                    x={x0 + c * cellW}
                    y={y0 + r * cellH}
                    width={cellW - 1}
                    height={cellH - 1}
                    fill={fill}
                    style={{ cursor: onCellClick ? 'pointer' : 'default' }}
                    onMouseMove={(e) => move({ row: r, col: c }, e)}
                    onClick={onCellClick ? () => onCellClick({ row: r, col: c }) : undefined}
                  />
                  {text !== undefined && (
                    <text x={x0 + c * cellW + cellW / 2} y={y0 + r * cellH + cellH / 2 + 4} fontSize={Math.min(11, cellH - 10)} textAnchor="middle" fill={textColorOn(fill)} pointerEvents="none">
                      {clip(showWhitespace(text), Math.floor((cellW - 4) / 6))}
                    </text>
                  )}
                </g>
              );
            }),
          )}
        </g>
        {values.map((row, r) =>
          row.map((_, c) =>
            marked?.({ row: r, col: c }) ? (
              <rect key={`m${r}-${c}`} x={x0 + c * cellW + 1} y={y0 + r * cellH + 1} width={cellW - 3} height={cellH - 3} fill="none" stroke="#111" strokeWidth={2.5} strokeDasharray="4 2" pointerEvents="none" className="marked" />
            ) : null,
          ),
        )}
        {selected && selected.row < rowLabels.length && selected.col < colLabels.length && (
          <rect x={x0 + selected.col * cellW - 1} y={y0 + selected.row * cellH - 1} width={cellW + 1} height={cellH + 1} fill="none" stroke="#f59e0b" strokeWidth={2.5} pointerEvents="none" className="selected" />
        )}
        {legend('legend', gradientId)}
      </svg>
      {/* Pinned to the scrolling frame's left edge (CSS sticky): what says what the rows and colours are stays in view. */}
      {/* Its backgrounds take the pointer, so a cell scrolled under them shows no tooltip. */}
      <svg className="heatmap-pinned" width={x0 + legendW + 4} height={height} fontFamily={FONT} aria-hidden="true" onMouseMove={() => setHover(null)}>
        <rect x={0} y={0} width={x0 - 2} height={y0 + gridH} fill="#fff" pointerEvents="all" />
        <rect x={0} y={y0 + gridH} width={x0 + legendW + 4} height={LEGEND_HEIGHT} fill="#fff" pointerEvents="all" />
        {rowAxis}
        {rowLabelTexts('row-label-pinned')}
        {legend('legend-pinned', `${gradientId}pinned`)}
      </svg>
      {hover && tooltip && <Tooltip pointer={hover.pointer}>{tooltip(hover.cell)}</Tooltip>}
    </div>
  );
}

/** A number short enough for a cell: two decimals (full precision is in the tooltip). */
export function cellNumber(v: number): string {
  if (!Number.isFinite(v)) return formatValue(v);
  const s = v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

/** Token strings often start with a space or are a newline; make that visible. */
export function showWhitespace(token: string): string {
  return token.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s;
}

export { formatValue };
