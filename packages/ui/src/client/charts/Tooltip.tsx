/**
 * A hover tooltip that no chart card clips: drawn in document.body (position: fixed) and placed
 * by placeTooltip from its measured size, so it stays inside the viewport at every edge.
 */
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { placeTooltip, TOOLTIP_OFFSET, type Point } from './tooltipPlacement.ts';

export function Tooltip({ pointer, children }: { pointer: Point; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [at, setAt] = useState<{ left: number; top: number } | null>(null);
  // After every render: the content or the pointer may have changed its size or place (setting an equal place is skipped).
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const viewport = { width: document.documentElement.clientWidth, height: document.documentElement.clientHeight };
    const next = placeTooltip(pointer, { width: el.offsetWidth, height: el.offsetHeight }, viewport);
    setAt((prev) => (prev && prev.left === next.left && prev.top === next.top ? prev : next));
  });
  return createPortal(
    <div
      ref={box}
      className="tooltip"
      role="tooltip"
      // Until measured: where it would go, unseen (no flash at the wrong place).
      style={at ? { left: at.left, top: at.top } : { left: pointer.x + TOOLTIP_OFFSET, top: pointer.y + TOOLTIP_OFFSET, visibility: 'hidden' }}
    >
      {children}
    </div>,
    document.body,
  );
}
