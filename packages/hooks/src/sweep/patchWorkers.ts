/**
 * Activation patching spread over worker threads: the cells are dealt round-robin (so every
 * worker gets a mix of cheap late-layer and costly early-layer cells), each worker loads the
 * model from its file and runs its share with the same batched engine, and the values come
 * back in cell order. Only the default metric (logit difference) can cross to a worker.
 *
 * @example
 * if (canUseWorkers(model)) result = await runPatchCellsInWorkers(model, spec, { answer, wrong }, 2, progress);
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, HookedTransformer } from '@hooklens/core';
import type { PatchRunResult, PatchRunSpec } from '../patching.ts';
import type { SweepProgress } from './progress.ts';
import { runWorkerPool, siblingModule } from './workerPool.ts';

/** What one patch worker receives as workerData. */
export interface PatchWorkerData {
  source: string;
  backend: BackendName;
  spec: PatchRunSpec;
  answer: number;
  wrong: number;
}

/** Backends that run one thread per process, so extra processes' worth of threads help. */
const SINGLE_THREADED_BACKENDS: readonly string[] = ['wasm', 'cpu'];

/** Whether workers can rebuild this model (it came from a file) and would add cores (the onnx engine already uses every core). */
export function canUseWorkers(model: HookedTransformer): boolean {
  return model.engine.name === 'tfjs' && model.source !== 'memory' && existsSync(model.source) && SINGLE_THREADED_BACKENDS.includes(tf.getBackend());
}

export async function runPatchCellsInWorkers(model: HookedTransformer, spec: PatchRunSpec, metric: { answer: number; wrong: number }, workers: number, progress: SweepProgress): Promise<PatchRunResult> {
  const count = Math.max(1, Math.min(workers, spec.cells.length));
  const indices = Array.from({ length: count }, (_, worker) => spec.cells.map((_, index) => index).filter((index) => index % count === worker));
  const shares: PatchWorkerData[] = indices.map((share) => ({
    source: model.source,
    backend: tf.getBackend() as BackendName,
    spec: { ...spec, cells: share.map((index) => spec.cells[index]) },
    ...metric,
  }));
  const results = await runWorkerPool<PatchRunResult>(siblingModule('patchWorker', import.meta.url), shares, {
    onProgress: (cells) => progress.advance(cells),
    signal: progress.signal,
  });
  const values = new Array<number>(spec.cells.length);
  indices.forEach((share, worker) => share.forEach((index, i) => { values[index] = results[worker].values[i]; }));
  return { values, clean: results[0].clean, corrupted: results[0].corrupted };
}
