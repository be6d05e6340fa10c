/**
 * The frame every chart sits in: a title, a caption, and export buttons (SVG of the
 * chart, its data as CSV and JSON). Charts stay pure; the frame finds the chart's <svg>
 * in the DOM, and offers SVG only when there is one (a table, or a frame still loading,
 * has none; a stand-alone legend marked data-legend does not count).
 */
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { safeFileName, toCsv, type ChartData } from '../lib/exportData.ts';

export interface ChartFrameProps {
  title: ReactNode;
  caption?: ReactNode;
  data?: ChartData;
  /** Extra controls shown beside the export buttons. */
  controls?: ReactNode;
  testId?: string;
  children: ReactNode;
}

export function ChartFrame({ title, caption, data, controls, testId, children }: ChartFrameProps) {
  const body = useRef<HTMLDivElement>(null);
  const chartSvg = () => body.current?.querySelector<SVGSVGElement>('svg[data-export]') ?? body.current?.querySelector<SVGSVGElement>('svg:not([data-legend])') ?? null;
  const [hasSvg, setHasSvg] = useState(false);
  // After every render: the children decide whether an <svg> is there (no deps on purpose; an unchanged answer does not re-render).
  useLayoutEffect(() => setHasSvg(chartSvg() !== null));
  const exportSvg = () => {
    const svg = chartSvg();
    if (svg && data) download(`${safeFileName(data.name)}.svg`, svgString(svg), 'image/svg+xml');
  };
  return (
    <section className="chart-frame" data-testid={testId}>
      <header className="chart-head">
        <h3>{title}</h3>
        <div className="chart-tools">
          {controls}
          {data && (
            <span className="export" aria-label="export">
              {hasSvg && <button type="button" onClick={exportSvg} title="Download the chart as SVG">SVG</button>}
              <button type="button" onClick={() => download(`${safeFileName(data.name)}.csv`, toCsv(data.csv()), 'text/csv')} title="Download the data as CSV">CSV</button>
              <button type="button" onClick={() => download(`${safeFileName(data.name)}.json`, JSON.stringify(data.json(), null, 2), 'application/json')} title="Download the data as JSON">JSON</button>
            </span>
          )}
        </div>
      </header>
      {caption && <p className="chart-caption">{caption}</p>}
      <div className="chart-body" ref={body}>{children}</div>
    </section>
  );
}

/** Saves `content` as a file through a temporary link. */
export function download(filename: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Serialises an on-screen <svg> as a standalone file. */
export function svgString(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink');
  const { width, height } = svg.getBoundingClientRect();
  if (!clone.getAttribute('width')) clone.setAttribute('width', String(Math.ceil(width)));
  if (!clone.getAttribute('height')) clone.setAttribute('height', String(Math.ceil(height)));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

