/** Chart layout rules, checked by hand-worked numbers: tooltip placement, thumbnail resolution, legend room. */
import { describe, expect, it } from 'vitest';
import { legendCaption, legendWidth } from '../../src/client/charts/legendLayout.ts';
import { placeTooltip } from '../../src/client/charts/tooltipPlacement.ts';
import { thumbnailCells, thumbnailSide } from '../../src/client/lib/thumbnails.ts';

const VIEWPORT = { width: 1000, height: 800 };
const TIP = { width: 200, height: 120 };

describe('tooltip placement', () => {
  it('goes below and right of the pointer (14 px away) when it fits', () => {
    expect(placeTooltip({ x: 100, y: 100 }, TIP, VIEWPORT)).toEqual({ left: 114, top: 114 });
  });

  it('flips to the left of the pointer at the right edge, and above it at the bottom', () => {
    // 900 + 14 + 200 > 996: left of the pointer, 900 − 14 − 200.
    expect(placeTooltip({ x: 900, y: 100 }, TIP, VIEWPORT)).toEqual({ left: 686, top: 114 });
    // 750 + 14 + 120 > 796: above, 750 − 14 − 120.
    expect(placeTooltip({ x: 100, y: 750 }, TIP, VIEWPORT)).toEqual({ left: 114, top: 616 });
    expect(placeTooltip({ x: 990, y: 790 }, TIP, VIEWPORT)).toEqual({ left: 776, top: 656 });
  });

  it('stays inside a viewport too small for either side, the top-left edge first', () => {
    // Neither 114 + 200 ≤ 246 nor 100 − 214 ≥ 4: pushed against the right margin, 250 − 4 − 200.
    expect(placeTooltip({ x: 100, y: 60 }, TIP, { width: 250, height: 150 })).toEqual({ left: 46, top: 26 });
    // Wider than the viewport: the left margin.
    expect(placeTooltip({ x: 50, y: 50 }, { width: 400, height: 10 }, { width: 300, height: 300 })).toEqual({ left: 4, top: 64 });
  });
});

describe('attention thumbnails', () => {
  it('asks for full resolution while the grid stays within its cell budget, within the API’s 24…128', () => {
    expect(thumbnailCells(2)).toBe(128); // toy-induction: √(200000 / 2) = 316
    expect(thumbnailCells(40)).toBe(70); // stories260K: √5000 = 70.7
    expect(thumbnailCells(144)).toBe(37); // GPT-2 small: √1388.9 = 37.3
    expect(thumbnailCells(100_000)).toBe(24);
  });

  it('gives each cell at least 2 px: an 81-token pattern is drawn 162 px wide', () => {
    expect(thumbnailSide(72, 81)).toBe(162);
    expect(thumbnailSide(72, 20)).toBe(72);
    expect(thumbnailSide(40, 24)).toBe(48);
  });
});

describe('legend room', () => {
  it('is the bar, or the caption when that is wider (a diverging caption says so)', () => {
    expect(legendCaption('Δ loss', 'diverging')).toBe('Δ loss (diverging, 0 = white)');
    expect(legendCaption(undefined, 'sequential')).toBe('');
    expect(legendWidth('p', 'sequential', 160)).toBe(160);
    // 21 characters at 6.8 px: 142.8 → 143, wider than an 84 px bar.
    expect(legendWidth('attention probability', 'sequential', 84)).toBe(143);
  });
});
