/** The room a colour legend (ColorLegend.tsx) takes, for the charts that place it. Pure: tested in Node. */
import type { ScaleKind } from './colorScale.ts';

export const LEGEND_FONT = 'system-ui, sans-serif';
/** Widest average advance of LEGEND_FONT's characters at 11 px, rounded up: SVG text cannot be measured in a pure chart, so charts size for it. */
const CAPTION_CHAR_W = 6.8;
/** The tallest a legend is, caption to tick labels. */
export const LEGEND_HEIGHT = 46;

/** The caption a legend writes above its bar. */
export function legendCaption(label: string | undefined, kind: ScaleKind): string {
  if (!label) return '';
  return kind === 'diverging' ? `${label} (diverging, 0 = white)` : label;
}

/** The width a legend with bar `width` takes: the bar, or its caption when that is wider. */
export function legendWidth(label: string | undefined, kind: ScaleKind, width: number): number {
  return Math.max(width, Math.ceil(legendCaption(label, kind).length * CAPTION_CHAR_W));
}

