/**
 * Layers × heads grid of small attention-pattern thumbnails (canvas-free SVG so the grid
 * exports as one file). An optional per-head score tints each thumbnail's frame and is
 * printed under it (previous-token, induction scores).
 */
import { useId, useMemo } from 'react';
import { thumbnailSide } from '../lib/thumbnails.ts';
import { ColorLegend } from './ColorLegend.tsx';
import { legendWidth } from './legendLayout.ts';
import { formatValue, makeScale, type ColorScale } from './colorScale.ts';
import { cellNumber } from './Heatmap.tsx';

export interface PatternGridProps {
  /** [layer][head][query][key] attention probabilities. */
  patterns: readonly (readonly (readonly (readonly number[])[])[])[];
  /** [layer][head] score to overlay, with its name. */
  overlay?: { name: string; values: readonly (readonly number[])[] };
  selected?: { layer: number; head: number } | null;
  onSelect?: (head: { layer: number; head: number }) => void;
  /** Values are differences (e.g. clean − corrupted): diverging colours, symmetric around 0 over the whole grid. */
  signed?: boolean;
  /** Pixel size of one thumbnail (larger when its patterns have more cells than that size shows readably). */
  size?: number;
  testId?: string;
}

const PROB = makeScale([[0, 1]], { kind: 'sequential', domain: [0, 1] });
// Head scores are average attention probabilities on [0, 1]; they get their own (orange) ramp,
// so a score frame never reads as attention, and a fixed domain keeps "weak everywhere" looking weak.
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const SCORE_SCALE: ColorScale = {
  kind: 'sequential',
  domain: [0, 1],
  color: (v) => (Number.isFinite(v) ? `rgb(${Math.round(255 - 25 * clamp01(v))},${Math.round(237 - 150 * clamp01(v))},${Math.round(213 - 190 * clamp01(v))})` : '#e6e6e6'),
};

export function PatternGrid({ patterns, overlay, selected, onSelect, signed, size: baseSize = 72, testId }: PatternGridProps) {
  const colour = useMemo(() => (signed ? makeScale(patterns.flatMap((heads) => heads.flatMap((p) => p)), { kind: 'diverging' }) : PROB), [signed, patterns]);
  const nLayers = patterns.length;
  const nHeads = Math.max(0, ...patterns.map((l) => l.length));
  const size = thumbnailSide(baseSize, Math.max(0, ...patterns.flatMap((heads) => heads.map((p) => p.length))));
  const overlayScale = overlay ? SCORE_SCALE : null;
  const gap = 12;
  const labelW = 34;
  const headH = 16;
  const scoreH = overlay ? 14 : 0;
  const cellH = size + scoreH + gap;
  const gridW = nHeads * (size + gap);
  const legendY = headH + nLayers * cellH + 14;
  const legendW = 160;
  const legendLabel = signed ? 'Δ attention probability' : 'attention probability';
  const scoreLabel = overlay && `frame: ${overlay.name}`;
  // Each legend takes its bar or its caption, whichever is wider; the score legend goes beside the attention one when both fit over the grid, else below it.
  const legendSpan = legendWidth(legendLabel, colour.kind, legendW);
  const scoreSpan = scoreLabel ? legendWidth(scoreLabel, SCORE_SCALE.kind, legendW) : 0;
  const legendGap = 30;
  const scoreBeside = legendSpan + legendGap + scoreSpan <= gridW;
  const scoreX = scoreBeside ? labelW + legendSpan + legendGap : labelW;
  const scoreY = scoreBeside ? legendY : legendY + 44;
  const width = labelW + Math.max(gridW, scoreBeside ? legendSpan + legendGap + scoreSpan : Math.max(legendSpan, scoreSpan)) + 4;
  const height = (overlay ? scoreY : legendY) + 32;
  const legendId = `pg${useId().replace(/[^\w]/g, '')}`;
  return (
    <div className="pattern-grid" data-testid={testId}>
      <svg data-export width={width} height={height} fontFamily="system-ui, sans-serif">
        {Array.from({ length: nHeads }, (_, h) => (
          <text key={h} x={labelW + h * (size + gap) + size / 2} y={11} fontSize={11} textAnchor="middle" fill="#555">H{h}</text>
        ))}
        {patterns.map((heads, l) => (
          <g key={l}>
            <text x={labelW - 6} y={headH + l * cellH + size / 2 + 4} fontSize={11} textAnchor="end" fill="#555">L{l}</text>
            {heads.map((pattern, h) => {
              const x = labelW + h * (size + gap);
              const y = headH + l * cellH;
              const n = pattern.length;
              const px = size / Math.max(1, n);
              const isSel = selected?.layer === l && selected?.head === h;
              const score = overlay?.values[l]?.[h];
              return (
                <g key={h} className="thumb" data-layer={l} data-head={h} data-cells={n} style={{ cursor: onSelect ? 'pointer' : 'default' }} onClick={onSelect ? () => onSelect({ layer: l, head: h }) : undefined}>
                  <title>{`L${l}H${h}${score !== undefined ? ` · ${overlay?.name} ${formatValue(score)}` : ''}`}</title>
                  {overlayScale && score !== undefined && <rect x={x - 4} y={y - 4} width={size + 8} height={size + 8} fill={overlayScale.color(score)} />}
                  <rect x={x} y={y} width={size} height={size} fill="#fff" />
                  {pattern.map((row, q) =>
                    row.map((p, k) => (k <= q || p !== 0 ? <rect key={`${q}-${k}`} x={x + k * px} y={y + q * px} width={px + 0.2} height={px + 0.2} fill={colour.color(p)} /> : null)),
                  )}
                  <rect x={x} y={y} width={size} height={size} fill="none" stroke={isSel ? '#f59e0b' : '#bbb'} strokeWidth={isSel ? 3 : 1} className={isSel ? 'outline selected' : 'outline'} />
                  {overlay && score !== undefined && (
                    <text x={x + size / 2} y={y + size + 12} fontSize={10} textAnchor="middle" fill="#333">{cellNumber(score)}</text>
                  )}
                </g>
              );
            })}
          </g>
        ))}
        <ColorLegend scale={colour} label={legendLabel} x={labelW} y={legendY} width={legendW} id={legendId} />
        {overlayScale && scoreLabel && <ColorLegend scale={overlayScale} label={scoreLabel} x={scoreX} y={scoreY} width={legendW} id={`${legendId}score`} />}
      </svg>
    </div>
  );
}
