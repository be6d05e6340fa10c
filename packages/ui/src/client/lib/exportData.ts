/**
 * What a chart exports as data (CSV, JSON). Pure, so it is tested in Node; the DOM side
 * (SVG serialisation, the download itself) lives in ChartFrame.tsx.
 */

export interface MatrixData {
  rowLabels: readonly string[];
  colLabels: readonly string[];
  values: readonly (readonly number[])[];
}

/** What a chart can export: a matrix (CSV with labels) or any JSON-able table. */
export interface ChartData {
  /** Base file name, no extension. */
  name: string;
  /** CSV rows, header first. */
  csv: () => string[][];
  json: () => unknown;
}

function csvCell(value: unknown): string {
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly (readonly unknown[])[]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** A matrix as CSV rows: a header of column labels, then one labelled row per matrix row. */
export function matrixCsv(data: MatrixData, corner = ''): string[][] {
  return [[corner, ...data.colLabels], ...data.values.map((row, r) => [data.rowLabels[r], ...row.map((v) => String(v))])];
}

export function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'chart';
}
