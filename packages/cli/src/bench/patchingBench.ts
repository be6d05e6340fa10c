/**
 * The patching section of `pnpm bench`: a resid_pre activation-patching sweep over a 64-token
 * prompt done the batched way (activationPatching: start at the cell's layer from the cached
 * corrupted residual, many cells per forward, unembed one position) against the naive way
 * (one full forward per cell with a hook copying the clean residual in, as a plain loop over
 * runWithHooks would). Both are timed on a sample of cells and extrapolated to the full
 * layers × positions grid so the section takes about a minute on one WASM thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import { activationPatching } from '@hooklens/hooks';
import { table } from '../format.ts';

export interface PatchingBenchOptions {
  /** Prompt length (default 64). */
  positions?: number;
  /** Positions per layer the batched sweep actually runs (default 8, spread over the prompt). */
  sampledPositions?: number;
  /** Naive single-cell forwards to time (default 3, spread over the layers). */
  naiveCells?: number;
}

export async function patchingBench(model: HookedTransformer, say: (line?: string) => void, options: PatchingBenchOptions = {}): Promise<void> {
  const { nLayers, dVocab } = model.config;
  const positions = options.positions ?? 64;
  const sampled = Math.min(positions, options.sampledPositions ?? 8);
  const naiveCells = options.naiveCells ?? 3;
  const clean = Array.from({ length: positions }, (_, i) => (i * 104729 + 17) % dVocab);
  // Two tokens differ, as in a name swap.
  const corrupted = clean.map((id, i) => (i === Math.floor(positions / 3) || i === Math.floor((2 * positions) / 3) ? (id + 1) % dVocab : id));
  const answer = 11;
  const wrong = 12;
  const totalCells = nLayers * positions;
  const samplePositions = Array.from({ length: sampled }, (_, k) => Math.floor((k * positions) / sampled));

  // Warm up kernels on a small sweep (one layer, one position) first.
  await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, layers: [nLayers - 1], positions: [0] });
  let start = performance.now();
  let cpuStart = cpuSeconds();
  const grid = await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong, positions: samplePositions });
  const batchedSeconds = (performance.now() - start) / 1000;
  const batchedPerCell = batchedSeconds / (nLayers * sampled);
  const batchedCpuPerCell = (cpuSeconds() - cpuStart) / (nLayers * sampled);
  if (grid.values.flat().some((value) => !Number.isFinite(value))) throw new Error('patching bench: the batched sweep produced non-finite values');

  // Naive: a full forward (every position unembedded) per cell, the clean residual copied in by a hook.
  const hookNames = Array.from({ length: nLayers }, (_, layer) => `blocks.${layer}.hook_resid_pre`);
  const { logits: cleanLogits, cache } = model.runWithCache([clean], { names: (name) => hookNames.includes(name) });
  cleanLogits.dispose();
  const naiveTimes: number[] = [];
  const naiveCpuTimes: number[] = [];
  try {
    const cells = Array.from({ length: naiveCells + 1 }, (_, k) => ({ layer: Math.floor((k * nLayers) / (naiveCells + 1)), position: samplePositions[k % sampled] }));
    for (const [index, { layer, position }] of cells.entries()) {
      const name = hookNames[layer];
      const cleanResidual = cache.get(name);
      start = performance.now();
      cpuStart = cpuSeconds();
      const logits = model.runWithHooks([corrupted], {
        fwdHooks: [[name as never, (activation) => {
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

  const sweep = `${nLayers} layers × ${positions} positions = ${totalCells} cells`;
  const firstDifference = corrupted.findIndex((id, i) => id !== clean[i]);
  const skipped = samplePositions.filter((position) => position < firstDifference).length;
  say(`activation patching, resid_pre, ${positions}-token prompt differing at positions ${firstDifference} and ${corrupted.findLastIndex((id, i) => id !== clean[i])}: ${sweep}`);
  say(`(the batched sweep runs no cell before position ${firstDifference}: there clean = corrupted; ${skipped} of the ${sampled} sampled positions per layer)`);
  say(table([
    ['batched sweep', `${(batchedPerCell * 1000).toFixed(1).padStart(8)} ms/cell → ${(batchedPerCell * totalCells).toFixed(1)} s for the grid  (timed ${nLayers * sampled} cells in ${batchedSeconds.toFixed(1)} s)`],
    ['one forward per cell', `${(naivePerCell * 1000).toFixed(1).padStart(8)} ms/cell → ${(naivePerCell * totalCells).toFixed(1)} s for the grid  (median of ${naiveTimes.length} cells)`],
    ['speed-up (wall clock)', `${(naivePerCell / batchedPerCell).toFixed(2)}× (a batched cell costs ${(batchedPerCell / naivePerCell).toFixed(2)} of a full forward)`],
    ['speed-up (CPU time)', `${(naiveCpuPerCell / batchedCpuPerCell).toFixed(2)}× (${(batchedCpuPerCell * 1000).toFixed(1)} vs ${(naiveCpuPerCell * 1000).toFixed(1)} ms/cell; steadier than wall clock on a busy machine)`],
  ]));
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
