/**
 * Colour scales for heatmaps. Signed data gets a diverging scale centred on zero (so the
 * sign is readable at a glance); non-negative data gets a sequential one. No d3: two
 * small piecewise-linear ramps are all the charts need.
 */

export type ScaleKind = 'diverging' | 'sequential';

export interface ColorScale {
  kind: ScaleKind;
  /** [min, max] the colours span; diverging scales are symmetric around 0. */
  domain: [number, number];
  color(value: number): string;
}

type Rgb = [number, number, number];

// ColorBrewer RdBu (reversed: negative = blue, positive = red), 7 stops.
const DIVERGING: Rgb[] = [
  [33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247], [253, 219, 199], [239, 138, 98], [178, 24, 43],
];
// A perceptually even light-to-dark purple-blue ramp (close to viridis' lower half, but light at 0).
const SEQUENTIAL: Rgb[] = [
  [247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107],
];

const MISSING = '#e6e6e6';

function ramp(stops: Rgb[], t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Finite min and max of a matrix (NaN / ±Infinity ignored); [0, 0] when nothing is finite. */
export function extent(values: readonly (readonly number[])[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of values) for (const v of row) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo === Infinity ? [0, 0] : [lo, hi];
}

/**
 * Picks the scale from the data: any negative value → diverging, symmetric around zero.
 * `domain` fixes the span (e.g. [0, 1] for probabilities) so colours mean the same across runs.
 */
export function makeScale(values: readonly (readonly number[])[], options: { kind?: ScaleKind; domain?: [number, number] } = {}): ColorScale {
  const [lo, hi] = options.domain ?? extent(values);
  const kind: ScaleKind = options.kind ?? (lo < 0 ? 'diverging' : 'sequential');
  if (kind === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { kind, domain: [-m, m], color: (v) => (Number.isFinite(v) ? ramp(DIVERGING, (v + m) / (2 * m)) : MISSING) };
  }
  const span = hi - lo || 1;
  return { kind, domain: [lo, hi], color: (v) => (Number.isFinite(v) ? ramp(SEQUENTIAL, (v - lo) / span) : MISSING) };
}

/** Black or white text, whichever reads better on `rgb(r,g,b)`. */
export function textColorOn(background: string): string {
  const m = /rgb\((\d+),(\d+),(\d+)\)/.exec(background);
  if (!m) return '#111';
  const [r, g, b] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#111' : '#fff';
}

/** Compact number formatting for cells, legends and tooltips. */
export function formatValue(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return v === Infinity ? '∞' : v === -Infinity ? '−∞' : '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toFixed(digits)).toString();
}
