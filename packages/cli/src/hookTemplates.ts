/**
 * Compacts hook names for display: the per-block names become one template each,
 * "blocks.{0..11}.attn.hook_pattern", in forward order; other names stay as they are.
 */
export function compactHookNames(names: readonly string[]): { lines: string[]; perBlock: number; blocks: number } {
  const lines: string[] = [];
  const suffixLine = new Map<string, number>();
  const layers = new Set<number>();
  for (const name of names) {
    const match = /^blocks\.(\d+)\.(.+)$/.exec(name);
    if (!match) {
      lines.push(name);
      continue;
    }
    layers.add(Number(match[1]));
    if (!suffixLine.has(match[2])) {
      suffixLine.set(match[2], lines.length);
      lines.push(match[2]);
    }
  }
  const sorted = [...layers].sort((a, b) => a - b);
  const range = sorted.length === 1 ? `${sorted[0]}` : `{${sorted[0]}..${sorted[sorted.length - 1]}}`;
  for (const [suffix, index] of suffixLine) lines[index] = `blocks.${range}.${suffix}`;
  return { lines, perBlock: suffixLine.size, blocks: layers.size };
}
