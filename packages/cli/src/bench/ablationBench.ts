/**
 * The head-ablation section of `pnpm bench`: a zero-ablation sweep over every head of a 64-token
 * prompt done the batched way (ablationSweep: several ablated copies per forward pass, each
 * starting at the ablated layer from the cached clean residual) against the naive way (one full
 * forward per head with a hook zeroing it). Twice: metric-only (one position unembedded) and
 * with the loss (every position unembedded). To keep the section near a minute on one WASM
 * thread, the batched sweep runs two layers whose mean depth is the model's (3 and 8 of 12) and
 * the naive one a few heads; both are extrapolated to all layers × heads. `fullSweep` runs every head.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import { ablationSweep } from '@hooklens/hooks';
import { table } from '../format.ts';

export interface AblationBenchOptions {
  /** Prompt length (default 64). */
  positions?: number;
  /** Sweep every layer instead of two sampled ones (minutes on one WASM thread). */
  fullSweep?: boolean;
  /** Naive single-head forwards to time (default 3, spread over the layers). */
  naiveHeads?: number;
}

export async function ablationBench(model: HookedTransformer, say: (line?: string) => void, options: AblationBenchOptions = {}): Promise<void> {
  const { nLayers, nHeads, dVocab } = model.config;
  const positions = options.positions ?? 64;
  const naiveHeads = options.naiveHeads ?? 3;
  const heads = nLayers * nHeads;
  // Blocks run from layer L: nLayers − L. Layers n/4 and 3n/4 − 1 average (n + 1)/2, as all layers do.
  const layers = options.fullSweep ? undefined : [...new Set([Math.floor(nLayers / 4), Math.max(0, Math.floor((3 * nLayers) / 4) - 1)])];
  const tokens = Array.from({ length: positions }, (_, i) => (i * 104729 + 17) % dVocab);
  const metric = { answer: 11, wrong: 12 };
  say(`head-ablation sweep: ${heads} heads (${nLayers} layers × ${nHeads}), 1×${positions} tokens, zero ablation`);
  const rows: [string, string][] = [];
  for (const withLoss of [false, true]) {
    const common = { mode: 'zero' as const, ...(layers && { layers }) };
    let before = performance.now();
    if (withLoss) await ablationSweep(model, tokens, common);
    else await ablationSweep(model, tokens, { ...common, loss: false, ...metric });
    const batched = ((performance.now() - before) / 1000) * (layers ? nLayers / layers.length : 1);
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
    const sampled = layers ? `, extrapolated from layers ${layers.join(' and ')}` : '';
    rows.push([`${label}, batched`, `${batched.toFixed(1).padStart(6)} s  (${((batched / heads) * 1000).toFixed(0)} ms per head${sampled})`]);
    rows.push([`${label}, one forward per head`, `${naive.toFixed(1).padStart(6)} s  (${(perHead * 1000).toFixed(0)} ms per head, extrapolated from ${naiveHeads} heads)  → batched ${(naive / batched).toFixed(2)}× faster`]);
  }
  say(table(rows));
}
