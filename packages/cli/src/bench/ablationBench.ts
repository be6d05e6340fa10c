/**
 * The head-ablation section of `pnpm bench`: a zero-ablation sweep over every head of a 64-token
 * prompt done the batched way (ablationSweep: several ablated copies per forward pass, each
 * starting at the ablated layer from the cached clean residual) against the naive way (one full
 * forward per head with a hook zeroing it). Twice: metric-only (one position unembedded) and
 * with the loss (every position unembedded).
 *
 * The batched sweep runs every head. The naive baseline costs the same full forward whichever
 * head it ablates, so it is timed on a sample (one head per layer by default) and multiplied by
 * the number of heads; the output says how many were timed. `quick` sweeps two layers whose mean
 * depth is the model's (3 and 8 of 12) and extrapolates, for a section of well under a minute.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import { ablationSweep } from '@hooklens/hooks';
import { table } from '../format.ts';
import { formatMilliseconds, formatSeconds } from './timing.ts';

export interface AblationBenchOptions {
  /** Prompt length (default 64). */
  positions?: number;
  /** Sweep two layers instead of all and extrapolate (`pnpm bench --quick`). */
  quick?: boolean;
  /** Heads timed one full forward each for the baseline (default one per layer; 3 with `quick`). */
  naiveHeads?: number;
}

/** The batched sweeps' wall-clock seconds (extrapolated with `quick`), for the engines' comparison. */
export interface AblationBenchResult {
  metricOnly: number;
  withLoss: number;
}

export async function ablationBench(model: HookedTransformer, say: (line?: string) => void, options: AblationBenchOptions = {}): Promise<AblationBenchResult> {
  const { nLayers, nHeads, dVocab } = model.config;
  const positions = options.positions ?? 64;
  const naiveHeads = options.naiveHeads ?? (options.quick ? 3 : nLayers);
  const heads = nLayers * nHeads;
  // Blocks run from layer L: nLayers − L. Layers n/4 and 3n/4 − 1 average (n + 1)/2, as all layers do.
  const layers = options.quick ? [...new Set([Math.floor(nLayers / 4), Math.max(0, Math.floor((3 * nLayers) / 4) - 1)])] : undefined;
  const tokens = Array.from({ length: positions }, (_, i) => (i * 104729 + 17) % dVocab);
  const metric = { answer: 11 % dVocab, wrong: 12 % dVocab };
  const swept = layers ? `layers ${layers.join(' and ')} swept (${layers.length * nHeads} heads) and scaled to all ${nLayers}` : 'every head swept';
  say(`head-ablation sweep: ${heads} heads (${nLayers} layers × ${nHeads}), 1×${positions} tokens, zero ablation; ${swept}; ` +
    `the one-forward-per-head baseline timed on ${naiveHeads} heads and scaled to ${heads}`);
  const rows: [string, string][] = [];
  const result: AblationBenchResult = { metricOnly: NaN, withLoss: NaN };
  for (const withLoss of [false, true]) {
    const common = { mode: 'zero' as const, ...(layers && { layers }) };
    const sweepLayers = (settings: typeof common) => (withLoss ? ablationSweep(model, tokens, settings) : ablationSweep(model, tokens, { ...settings, loss: false, ...metric }));
    await sweepLayers({ mode: 'zero', layers: [nLayers - 1] }); // warm-up: kernels for these shapes
    let before = performance.now();
    const sweep = await sweepLayers(common);
    const batched = ((performance.now() - before) / 1000) * (layers ? nLayers / layers.length : 1);
    result[withLoss ? 'withLoss' : 'metricOnly'] = batched;
    const grid = 'lossDelta' in sweep ? sweep.lossDelta : sweep.metricDelta;
    const measured = grid.flat().filter((value) => !Number.isNaN(value));
    if (measured.length !== (layers ? layers.length : nLayers) * nHeads || !measured.every(Number.isFinite)) throw new Error('ablation bench: the batched sweep produced non-finite values');

    const naiveHead = (layer: number, head: number) => {
      const zeroHead = (z: tf.Tensor) => z.mul(tf.oneHot(tf.tensor1d([head], 'int32'), nHeads).reshape([1, 1, nHeads, 1]).neg().add(1));
      const out = model.withHooks([[`blocks.${layer}.attn.hook_z`, zeroHead]], () => (withLoss
        ? model.forward([tokens], { returnType: 'loss' })
        : model.forward([tokens], { unembedPositions: [positions - 1] })));
      out.dataSync();
      out.dispose();
    };
    naiveHead(0, 0); // warm-up
    before = performance.now();
    for (let i = 0; i < naiveHeads; i++) naiveHead(Math.floor((i * nLayers) / naiveHeads), i % nHeads);
    const perHead = (performance.now() - before) / 1000 / naiveHeads;
    const naive = perHead * heads;
    const label = withLoss ? 'loss (all positions unembedded)' : 'metric only (1 position unembedded)';
    rows.push([`${label}, batched`, `${formatSeconds(batched)}  (${formatMilliseconds(batched / heads)} per head${layers ? ', extrapolated' : ''})`]);
    rows.push([`${label}, one forward per head`, `${formatSeconds(naive)}  (${formatMilliseconds(perHead)} per head × ${heads}, timed on ${naiveHeads})  → batched ${(naive / batched).toFixed(2)}× faster`]);
  }
  say(table(rows));
  return result;
}
