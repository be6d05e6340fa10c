/**
 * The patching section of `pnpm bench`: a resid_pre activation-patching sweep over a 64-token
 * prompt done the batched way (activationPatching: start at the cell's layer from the cached
 * corrupted residual, many cells per forward, unembed one position) against the naive way
 * (one full forward per cell with a hook copying the clean residual in, as a plain loop over
 * runWithHooks would).
 *
 * The batched sweep runs the whole layers × positions grid. It computes only the cells at or
 * after the prompts' first differing token (before it clean = corrupted, so those cells are the
 * corrupted run and cost nothing); the naive loop would run every cell. The naive baseline costs
 * one full forward per cell wherever the cell is, so it is timed on a sample (one cell per layer
 * by default) and multiplied by the cells of the grid; the output says how many were timed.
 * `quick` runs the batched sweep on a few of the computed positions and extrapolates to all of them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer, HookName } from '@hooklens/core';
import { activationPatching } from '@hooklens/hooks';
import { table } from '../format.ts';
import { formatMilliseconds, formatSeconds } from './timing.ts';

export interface PatchingBenchOptions {
  /** Prompt length (default 64). */
  positions?: number;
  /** Sweep a sample of the computed positions and extrapolate (`pnpm bench --quick`). */
  quick?: boolean;
  /** With `quick`: computed positions per layer the batched sweep runs (default 8). */
  sampledPositions?: number;
  /** Cells timed one full forward each for the baseline (default one per layer; 3 with `quick`). */
  naiveCells?: number;
}

/** The batched sweep's wall-clock seconds for the grid (extrapolated with `quick`), for the engines' comparison. */
export interface PatchingBenchResult {
  batched: number;
}

export async function patchingBench(model: HookedTransformer, say: (line?: string) => void, options: PatchingBenchOptions = {}): Promise<PatchingBenchResult> {
  const { nLayers, dVocab } = model.config;
  const positions = options.positions ?? 64;
  const naiveCells = options.naiveCells ?? (options.quick ? 3 : nLayers);
  const clean = Array.from({ length: positions }, (_, i) => (i * 104729 + 17) % dVocab);
  // Two tokens differ, as in a name swap.
  const corrupted = clean.map((id, i) => (i === Math.floor(positions / 3) || i === Math.floor((2 * positions) / 3) ? (id + 1) % dVocab : id));
  const firstDifference = corrupted.findIndex((id, i) => id !== clean[i]);
  const answer = 11 % dVocab;
  const wrong = 12 % dVocab;
  const totalCells = nLayers * positions;
  const computedPositions = positions - firstDifference;
  const computedCells = nLayers * computedPositions;
  // Quick: evenly spread over the computed positions, so the sample costs what the grid's cells cost.
  const sampled = options.quick ? Math.min(computedPositions, options.sampledPositions ?? 8) : computedPositions;
  const sweptPositions = Array.from({ length: sampled }, (_, k) => firstDifference + Math.floor((k * computedPositions) / sampled));

  // Warm up kernels on a small sweep (one layer, one position) first.
  await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, layers: [nLayers - 1], positions: [firstDifference] });
  let start = performance.now();
  let cpuStart = cpuSeconds();
  const grid = await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, ...(options.quick && { positions: sweptPositions }) });
  const sweptCells = nLayers * sampled;
  const batchedPerCell = (performance.now() - start) / 1000 / sweptCells; // per computed cell
  const batchedCpuPerCell = (cpuSeconds() - cpuStart) / sweptCells;
  if (grid.values.flat().some((value) => !Number.isFinite(value))) throw new Error('patching bench: the batched sweep produced non-finite values');
  const batchedGrid = batchedPerCell * computedCells;

  // Naive: a full forward (every position unembedded) per cell, the clean residual copied in by a hook.
  const hookNames = Array.from({ length: nLayers }, (_, layer): HookName => `blocks.${layer}.hook_resid_pre`);
  const { logits: cleanLogits, cache } = model.runWithCache([clean], { names: (name) => hookNames.includes(name) });
  cleanLogits.dispose();
  const naiveTimes: number[] = [];
  const naiveCpuTimes: number[] = [];
  try {
    const cells = Array.from({ length: naiveCells + 1 }, (_, k) => ({ layer: Math.floor((k * nLayers) / (naiveCells + 1)), position: sweptPositions[k % sampled] }));
    for (const [index, { layer, position }] of cells.entries()) {
      const name = hookNames[layer];
      const cleanResidual = cache.get(name);
      start = performance.now();
      cpuStart = cpuSeconds();
      const logits = model.runWithHooks([corrupted], {
        fwdHooks: [[name, (activation) => {
          const mask = tf.oneHot(tf.tensor1d([position], 'int32'), positions).reshape([1, positions, 1]);
          return mask.mul(cleanResidual).add(tf.scalar(1).sub(mask).mul(activation));
        }]],
      });
      tf.tidy(() => logits.slice([0, positions - 1, answer], [1, 1, 1]).sub(logits.slice([0, positions - 1, wrong], [1, 1, 1])).dataSync());
      logits.dispose();
      if (index > 0) { // the first one warms up
        naiveTimes.push((performance.now() - start) / 1000);
        naiveCpuTimes.push(cpuSeconds() - cpuStart);
      }
    }
  } finally {
    cache.dispose();
  }
  const naivePerCell = median(naiveTimes);
  const naiveCpuPerCell = median(naiveCpuTimes);
  const naiveGrid = naivePerCell * totalCells;

  const swept = options.quick ? `${sampled} of the ${computedPositions} computed positions per layer swept (${sweptCells} cells) and scaled to all` : 'the whole grid swept';
  say(`activation patching, resid_pre, ${positions}-token prompt differing at positions ${firstDifference} and ${corrupted.findLastIndex((id, i) => id !== clean[i])}: ` +
    `${nLayers} layers × ${positions} positions = ${totalCells} cells; ${swept}; the one-forward-per-cell baseline timed on ${naiveTimes.length} cells and scaled to ${totalCells}`);
  say(`(the batched sweep computes ${computedCells} cells: the ${totalCells - computedCells} before position ${firstDifference} equal the corrupted run and need no forward; the naive loop runs all ${totalCells})`);
  say(table([
    ['batched sweep', `${formatSeconds(batchedGrid)} for the grid  (${formatMilliseconds(batchedPerCell)} per computed cell${options.quick ? ', extrapolated' : ''})`],
    ['one forward per cell', `${formatSeconds(naiveGrid)} for the grid  (${formatMilliseconds(naivePerCell)} per cell × ${totalCells}, median of ${naiveTimes.length})`],
    ['speed-up (wall clock)', `${(naiveGrid / batchedGrid).toFixed(2)}× for the grid; ${(naivePerCell / batchedPerCell).toFixed(2)}× per computed cell (a batched cell costs ${(batchedPerCell / naivePerCell).toFixed(2)} of a full forward)`],
    ['speed-up (CPU time)', `${((naiveCpuPerCell * totalCells) / (batchedCpuPerCell * computedCells)).toFixed(2)}× for the grid; ${(naiveCpuPerCell / batchedCpuPerCell).toFixed(2)}× per computed cell (${formatMilliseconds(batchedCpuPerCell)} vs ${formatMilliseconds(naiveCpuPerCell)}; steadier than wall clock on a busy machine)`],
  ]));
  return { batched: batchedGrid };
}

/** This process's user + system CPU seconds (the WASM backend computes on this one thread). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
