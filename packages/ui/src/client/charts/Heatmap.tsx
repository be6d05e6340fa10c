/**
 * A labelled SVG heatmap: rows × columns of coloured cells, optional text in each cell,
 * a colour legend (diverging when values are signed), a hover tooltip and cell clicks.
 * Pure: everything it shows comes from its props.
 */
import { useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { ColorLegend } from './ColorLegend.tsx';
import { formatValue, makeScale, textColorOn, type ColorScale } from './colorScale.ts';

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
  const box = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ cell: Cell; x: number; y: number } | null>(null);

  const cellW = props.cellWidth ?? 44;
  const cellH = props.cellHeight ?? 24;
  const rowLabelW = Math.min(220, Math.max(...rowLabels.map((l) => l.length), 2) * CHAR_W + 12) + (rowAxisLabel ? 16 : 0);
  const longestCol = Math.max(...colLabels.map((l) => l.length), 1);
  const rotate = longestCol * CHAR_W > cellW - 4;
  const colLabelH = (rotate ? Math.min(140, longestCol * CHAR_W * 0.75 + 12) : 18) + (colAxisLabel ? 16 : 0);
  const gridW = colLabels.length * cellW;
  const gridH = rowLabels.length * cellH;
  const legendH = 46;
  // The legend's caption may be wider than a narrow grid: make room for it.
  const legendTextW = ((legendLabel?.length ?? 0) + (scale.kind === 'diverging' ? 27 : 0)) * 6.2;
  const width = Math.max(rowLabelW + gridW + 20, rowLabelW + legendTextW + 10);
  const height = colLabelH + gridH + legendH;
  const x0 = rowLabelW;
  const y0 = colLabelH;

  const move = (cell: Cell, event: React.MouseEvent) => {
    const rect = box.current?.getBoundingClientRect();
    if (rect) setHover({ cell, x: event.clientX - rect.left, y: event.clientY - rect.top });
  };

  return (
    <div className="heatmap" ref={box} data-testid={testId} data-rows={rowLabels.length} data-cols={colLabels.length} onMouseLeave={() => setHover(null)}>
      <svg data-export width={Math.max(width, 240)} height={height} fontFamily={FONT} role="img">
        {colAxisLabel && <text x={x0 + gridW / 2} y={12} fontSize={11} textAnchor="middle" fill="#555" fontFamily="system-ui, sans-serif">{colAxisLabel}</text>}
        {rowAxisLabel && (
          <text transform={`translate(11 ${y0 + gridH / 2}) rotate(-90)`} fontSize={11} textAnchor="middle" fill="#555" fontFamily="system-ui, sans-serif">{rowAxisLabel}</text>
        )}
        {colLabels.map((label, c) => {
          const cx = x0 + c * cellW + cellW / 2;
          return rotate ? (
            <text key={c} transform={`translate(${cx + 3} ${y0 - 4}) rotate(-50)`} fontSize={11} fill="#333" className="col-label"><title>{label}</title>{label}</text>
          ) : (
            <text key={c} x={cx} y={y0 - 5} fontSize={11} textAnchor="middle" fill="#333" className="col-label">{label}</text>
          );
        })}
        {rowLabels.map((label, r) => (
          <text key={r} x={x0 - 6} y={y0 + r * cellH + cellH / 2 + 4} fontSize={11} textAnchor="end" fill="#333" className="row-label">{label}</text>
        ))}
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
        <ColorLegend scale={scale} label={legendLabel} x={x0} y={y0 + gridH + 18} width={Math.max(160, Math.min(gridW, 300))} id={gradientId} />
      </svg>
      {hover && tooltip && (
        <div className="tooltip" role="tooltip" style={{ left: hover.x + 14, top: hover.y + 14 }}>
          {tooltip(hover.cell)}
        </div>
      )}
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
