import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { randomModel } from '@hooklens/core/testing';
import { ablationBench } from '../src/bench/ablationBench.ts';
import { patchingBench } from '../src/bench/patchingBench.ts';
import { startupBench } from '../src/bench/startupBench.ts';

/** A plain decimal as the bench prints it ("12.3", "0.0", "4.56"): finite, never NaN or Infinity. */
const NUMBER = String.raw`\d+\.\d+`;

/** Runs a bench section, returning what it printed. */
async function printed(run: (say: (line?: string) => void) => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  await run((line = '') => { lines.push(...line.split('\n')); });
  return lines;
}

/** The "N.NN×" ratios on a line, as numbers; each must be a plain positive decimal. */
function ratios(line: string): number[] {
  const found = [...line.matchAll(/(\S+)× /g)].map((match) => match[1]);
  for (const text of found) expect(text).toMatch(new RegExp(`^${NUMBER}$`));
  const values = found.map(Number);
  for (const value of values) expect(value).toBeGreaterThan(0);
  return values;
}

describe('pnpm bench sections on a tiny model (smoke: well-formed figures)', () => {
  let model: HookedTransformer;
  beforeAll(async () => {
    await initBackend();
    model = randomModel({ nLayers: 3, nHeads: 4 }, 5); // vocab 23, n_ctx 24
  });

  it.each([false, true])('ablation: batched and one-forward-per-head timings with the ratio (quick: %s)', async (quick) => {
    const before = tf.memory().numTensors;
    let result: Awaited<ReturnType<typeof ablationBench>> | undefined;
    const lines = await printed(async (say) => { result = await ablationBench(model, say, { positions: 12, quick }); });
    expect(tf.memory().numTensors).toBe(before);
    // The returned batched times (the engines' summary compares them) are the ones printed.
    expect(lines[1]).toContain(`${result!.metricOnly.toFixed(1)} s`);
    expect(lines[3]).toContain(`${result!.withLoss.toFixed(1)} s`);
    expect(lines[0]).toMatch(quick
      ? /^head-ablation sweep: 12 heads \(3 layers × 4\), 1×12 tokens, zero ablation; layers 0 and 1 swept \(8 heads\) and scaled to all 3; .* timed on 3 heads and scaled to 12$/
      : /^head-ablation sweep: 12 heads \(3 layers × 4\), 1×12 tokens, zero ablation; every head swept; .* timed on 3 heads and scaled to 12$/);
    const rows = lines.slice(1);
    expect(rows).toHaveLength(4);
    for (const [index, label] of ['metric only (1 position unembedded)', 'loss (all positions unembedded)'].entries()) {
      expect(rows[2 * index]).toMatch(new RegExp(`^${escape(label)}, batched\\s+${NUMBER} s  \\(${NUMBER} ms per head${quick ? ', extrapolated' : ''}\\)$`));
      expect(rows[2 * index + 1]).toMatch(new RegExp(`^${escape(label)}, one forward per head\\s+${NUMBER} s  \\(${NUMBER} ms per head × 12, timed on 3\\)  → batched ${NUMBER}× faster$`));
    }
    expect([...ratios(rows[1]), ...ratios(rows[3])]).toHaveLength(2);
  });

  it.each([false, true])('patching: batched and one-forward-per-cell timings with the ratios (quick: %s)', async (quick) => {
    const before = tf.memory().numTensors;
    let result: Awaited<ReturnType<typeof patchingBench>> | undefined;
    const lines = await printed(async (say) => { result = await patchingBench(model, say, { positions: 12, quick, sampledPositions: 3 }); });
    expect(tf.memory().numTensors).toBe(before);
    expect(lines[2]).toContain(`${result!.batched.toFixed(1)} s for the grid`);
    // 12 tokens differing at 4 and 8: positions 4..11 are computed, 8 per layer, 24 cells.
    expect(lines[0]).toMatch(new RegExp(`^activation patching, resid_pre, 12-token prompt differing at positions 4 and 8: 3 layers × 12 positions = 36 cells; ${quick
      ? '3 of the 8 computed positions per layer swept \\(9 cells\\) and scaled to all' : 'the whole grid swept'}; the one-forward-per-cell baseline timed on 3 cells and scaled to 36$`));
    expect(lines[1]).toBe('(the batched sweep computes 24 cells: the 12 before position 4 equal the corrupted run and need no forward; the naive loop runs all 36)');
    expect(lines[2]).toMatch(new RegExp(`^batched sweep\\s+${NUMBER} s for the grid  \\(${NUMBER} ms per computed cell${quick ? ', extrapolated' : ''}\\)$`));
    expect(lines[3]).toMatch(new RegExp(`^one forward per cell\\s+${NUMBER} s for the grid  \\(${NUMBER} ms per cell × 36, median of 3\\)$`));
    expect(lines[4]).toMatch(new RegExp(`^speed-up \\(wall clock\\)\\s+${NUMBER}× for the grid; ${NUMBER}× per computed cell \\(a batched cell costs ${NUMBER} of a full forward\\)$`));
    expect(lines[5]).toMatch(new RegExp(`^speed-up \\(CPU time\\)\\s+${NUMBER}× for the grid; ${NUMBER}× per computed cell \\(${NUMBER} ms vs ${NUMBER} ms; .*\\)$`));
    expect(lines).toHaveLength(6);
    const [wallGrid, wallCell] = ratios(lines[4]);
    // The grid ratio counts the 36 cells the naive loop runs against the 24 the sweep computes
    // (both printed to 2 decimals, hence the tolerance).
    expect(Math.abs(wallGrid - (36 / 24) * wallCell)).toBeLessThanOrEqual(0.005 + 1.5 * 0.005 + 1e-9);
    expect(ratios(lines[5])).toHaveLength(2);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('pnpm bench: CLI start-up section', () => {
  it('times each command in each variant and marks the goal against the first variant', async () => {
    const fromSource = { label: 'source', node: [fileURLToPath(new URL('../bin/hooklens.js', import.meta.url))], env: { HOOKLENS_FROM_SOURCE: '1' } };
    const unavailable = { label: 'never built', node: [], unavailable: () => 'not built' };
    const lines = await printed((say) => startupBench(say, { runs: 1, commands: [{ args: ['--help'], goal: 60 }], variants: [fromSource, unavailable] }));
    expect(lines[0]).toMatch(/^CLI start-up \(best \/ median of 1 runs; load average \d+\.\d on \d+ cores\)$/);
    expect(lines[1]).toMatch(new RegExp(`^  hooklens --help +source +${NUMBER} s / ${NUMBER} s  \\(goal ≤ 60\\.0 s: met\\)$`));
    expect(lines[2]).toMatch(/^  hooklens --help +never built +not measured: not built$/);
  }, 120_000);
});
