/** 124439808 → "124.4M (124,439,808)". */
export function formatCount(count: number): string {
  const exact = count.toLocaleString('en-US');
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) {
    if (count >= size) return `${(count / size).toFixed(1)}${unit} (${exact})`;
  }
  return exact;
}

/** Aligned "key  value" lines. */
export function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

/** Error messages stay on one line, whatever the thrower put in them. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
