/** A colour bar for a heatmap scale, drawn inside the chart's SVG so it exports with it. */
import { formatValue, type ColorScale } from './colorScale.ts';
import { LEGEND_FONT, legendCaption } from './legendLayout.ts';

export interface ColorLegendProps {
  scale: ColorScale;
  label?: string;
  x: number;
  y: number;
  width?: number;
  id: string;
  /** 'legend' (default) for the legend itself; a copy drawn elsewhere (a pinned one) takes another class. */
  className?: string;
}

export function ColorLegend({ scale, label, x, y, width = 180, id, className = 'legend' }: ColorLegendProps) {
  const [lo, hi] = scale.domain;
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const ticks = scale.kind === 'diverging' ? [lo, 0, hi] : [lo, hi];
  const at = (v: number) => x + ((v - lo) / (hi - lo || 1)) * width;
  return (
    <g className={className} data-scale={scale.kind} fontFamily={LEGEND_FONT}>
      <defs>
        <linearGradient id={id} x1="0" x2="1" y1="0" y2="0">
          {stops.map((t) => <stop key={t} offset={t} stopColor={scale.color(lo + t * (hi - lo))} />)}
        </linearGradient>
      </defs>
      {label && <text x={x} y={y - 4} fontSize={11} fill="#444" className="legend-caption">{legendCaption(label, scale.kind)}</text>}
      <rect x={x} y={y} width={width} height={10} fill={`url(#${id})`} stroke="#999" strokeWidth={0.5} />
      {ticks.map((t, i) => (
        <g key={i}>
          <line x1={at(t)} x2={at(t)} y1={y + 10} y2={y + 14} stroke="#666" />
          <text x={at(t)} y={y + 25} fontSize={10} fill="#444" textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}>{formatValue(t)}</text>
        </g>
      ))}
    </g>
  );
}
