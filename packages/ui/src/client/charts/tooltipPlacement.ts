/**
 * Where a hover tooltip goes: beside the pointer, flipped to the other side of it when it would
 * leave the viewport at the right or the bottom, and never past an edge. Pure: tested in Node.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Gap between the pointer and the tooltip. */
export const TOOLTIP_OFFSET = 14;
/** Space kept between the tooltip and the viewport's edges. */
const MARGIN = 4;

/** Top-left corner (viewport coordinates) of a `tip`-sized tooltip for a pointer at `pointer` in a `viewport`. */
export function placeTooltip(pointer: Point, tip: Size, viewport: Size): { left: number; top: number } {
  return { left: along(pointer.x, tip.width, viewport.width), top: along(pointer.y, tip.height, viewport.height) };
}

/** One axis: after the pointer if it fits, else before it, else as far from the start as fits (the start edge wins). */
function along(pointer: number, size: number, extent: number): number {
  const after = pointer + TOOLTIP_OFFSET;
  if (after + size <= extent - MARGIN) return after;
  const before = pointer - TOOLTIP_OFFSET - size;
  if (before >= MARGIN) return before;
  return Math.max(MARGIN, extent - MARGIN - size);
}
