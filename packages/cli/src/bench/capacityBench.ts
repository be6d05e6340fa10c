/**
 * `pnpm bench --capacity`: can the onnx engine hold a model past the 4 GiB WebAssembly wall
 * within its memory budget? Writes a random checkpoint with Gemma-2-2B's dimensions (Llama or
 * Gemma 2 form, BF16, ~5 GB, streamed to a temp directory that is always removed), loads it on the
 * onnx engine, runs a 1×64 forward, a cache of one layer's hooks and a logit lens (with the wasm
 * heap it left), and prints load time, forward time and peak RSS against the float32 weight bytes
 * (the budget is 1.6× plus activations). `--layers N` scales the depth down to try it on less memory. Not in CI.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { availableMemoryBytes, initBackend, isOnHost, loadModel } from '@hooklens/core';
import { logitLens } from '@hooklens/hooks';
import { formatCount } from '../format.ts';
import { writeRandomCheckpoint } from './randomCheckpoint.ts';
import type { CheckpointDims, CheckpointFamily } from './randomCheckpoint.ts';

/** Gemma-2-2B: vocabulary 256,000, d_model 2,304, 26 layers, d_mlp 9,216, 8 query / 4 key-value heads of 256. */
export const GEMMA_2_2B_DIMS: CheckpointDims = { vocab: 256000, dModel: 2304, layers: 26, dMlp: 9216, heads: 8, kvHeads: 4, dHead: 256, nCtx: 8192 };

/** The wasm backend's heap (it only grows): the most its tensors ever needed at once; undefined on other backends. */
const wasmHeapBytes = () => (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.byteLength;

const GB = 1e9;
const gb = (bytes: number) => `${(bytes / GB).toFixed(2)} GB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

export async function capacityBench(say: (line?: string) => void, options: { form: CheckpointFamily; layers?: number }): Promise<void> {
  const form = options.form;
  const dims = { ...GEMMA_2_2B_DIMS, layers: options.layers ?? GEMMA_2_2B_DIMS.layers };
  const backend = await initBackend();
  say(`hooklens bench --capacity: random ${form.name}-form checkpoint with Gemma-2-2B's dimensions (vocab ${dims.vocab}, d_model ${dims.dModel}, `
    + `${dims.layers} layers, d_mlp ${dims.dMlp}, ${dims.heads} query / ${dims.kvHeads} key-value heads of ${dims.dHead}), BF16; tfjs on ${backend.description}`);
  say(`memory available: ${gb(await availableMemoryBytes())}`);
  removeStaleCheckpoints();
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  // A 5 GB file must not outlive an interrupted run.
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = () => { remove(); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let started = performance.now();
    const fileBytes = writeRandomCheckpoint(dir, form, dims);
    say(`checkpoint: ${gb(fileBytes)} written in ${seconds(performance.now() - started)} to ${dir}`);

    const rssBefore = process.memoryUsage().rss;
    started = performance.now();
    const model = await loadModel(dir, { engine: 'onnx' });
    const loadSeconds = (performance.now() - started) / 1000;
    const weightBytes = 4 * model.numParams();
    say(`loaded on ${model.engine.description} in ${loadSeconds.toFixed(1)} s: ${formatCount(model.numParams())} parameters, ${gb(weightBytes)} as float32; `
      + `RSS ${gb(process.memoryUsage().rss)} (peak ${gb(peakRss())})`);

    const tokens = [Array.from({ length: 64 }, (_, i) => (i * 7919 + 13) % dims.vocab)];
    const forward = (label: string) => {
      const begun = performance.now();
      const logits = model.forward(tokens);
      const ms = performance.now() - begun;
      say(`forward 1×64 (${label}): ${ms.toFixed(0)} ms, logits [${logits.shape.join(', ')}]${isOnHost(logits) ? ' in JavaScript memory' : ''}`);
      logits.dispose();
    };
    forward('first, builds the session');

    const layer = Math.floor(dims.layers / 2);
    const begun = performance.now();
    const { logits, cache } = model.runWithCache(tokens, { names: (name) => name.startsWith(`blocks.${layer}.`) });
    const ms = performance.now() - begun;
    const offHeap = cache.names().every((name) => isOnHost(cache.get(name)));
    say(`cache of layer ${layer}'s ${cache.names().length} hooks: ${ms.toFixed(0)} ms (first, builds the session), ${gb(cache.bytes)}, `
      + `${offHeap ? 'every entry in JavaScript memory' : 'some entries on the tfjs backend'}; tfjs tensors on ${tf.getBackend()}: ${tf.backend().numDataIds()}`);
    tf.dispose(logits);
    cache.dispose();
    forward('again, session built');

    // The lens reads every layer boundary through the unembedding on the engine: W_U never enters the wasm heap.
    const lensTokens = tokens[0]!.slice(0, 8);
    const lensStarted = performance.now();
    const lens = logitLens(model, lensTokens, { topK: 3 });
    const heap = wasmHeapBytes();
    say(`logit lens of ${lensTokens.length} tokens (${lens.layers.length} layer boundaries × ${lensTokens.length} positions, ${dims.vocab} logits each): `
      + `${seconds(performance.now() - lensStarted)}${heap === undefined ? '' : `; wasm heap ${gb(heap)} (the unembedding alone is ${gb(4 * dims.dModel * dims.vocab)})`}`);

    const peak = peakRss();
    say(`peak RSS ${gb(peak)} = ${(peak / weightBytes).toFixed(2)}× the float32 weight bytes (${gb(weightBytes)}); `
      + `${((peak - rssBefore) / weightBytes).toFixed(2)}× counting from the process before loading (${gb(rssBefore)})`);
    model.dispose();
  } finally {
    remove();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const TEMP_PREFIX = 'hooklens-capacity-';

/**
 * Removes checkpoints left by earlier runs whose process is gone: a run killed outright (the
 * kernel's out-of-memory killer sends SIGKILL) cannot clean up after itself.
 */
function removeStaleCheckpoints(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^hooklens-capacity-(\d+)-/.exec(name)?.[1]);
    if (pid && !isRunning(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}
