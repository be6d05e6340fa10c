/**
 * How finely the attention grid draws each head's pattern. Every pattern cell is an SVG rect,
 * so the grid asks for full resolution only while the whole grid stays within a budget of cells,
 * and each cell gets at least MIN_CELL_PX screen pixels, so a long prompt's previous-token
 * diagonal stays a visible line instead of a blur. Pure: tested in Node.
 */

/** Most pattern cells the whole grid draws (a causal pattern draws about half of its n × n). */
export const MAX_GRID_CELLS = 100_000;
/** Fewest screen pixels per pattern cell: below 2, one token's row or column blends into its neighbours. */
export const MIN_CELL_PX = 2;
/** The API's bounds on a thumbnail's side, in cells. */
const MIN_CELLS = 24;
const MAX_CELLS = 128;

/** Rows and columns to ask per thumbnail (the server never returns more than the prompt's length) for a grid of `heads` heads. */
export function thumbnailCells(heads: number): number {
  const fit = Math.floor(Math.sqrt((2 * MAX_GRID_CELLS) / Math.max(1, heads)));
  return Math.min(MAX_CELLS, Math.max(MIN_CELLS, fit));
}

/** Pixel side of a thumbnail of `cells` × `cells`: `base`, or larger when that would give a cell under MIN_CELL_PX. */
export function thumbnailSide(base: number, cells: number): number {
  return Math.max(base, MIN_CELL_PX * cells);
}
