/**
 * Entry module of a patch worker thread (started by patchWorkers.ts through workerPool.ts):
 * loads the model from its file, runs its share of the cells, posts the raw metric values.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '@hooklens/core';
import { logitDifference } from '../metrics.ts';
import { runPatchCells } from '../patching.ts';
import type { PatchRunResult } from '../patching.ts';
import type { PatchWorkerData } from './patchWorkers.ts';
import { SweepProgress } from './progress.ts';
import type { WorkerMessage } from './workerPool.ts';

const data = workerData as PatchWorkerData;
const post = (message: WorkerMessage<PatchRunResult>) => parentPort!.postMessage(message);

try {
  const model = await loadModel(data.source, { backend: data.backend, engine: 'tfjs' });
  try {
    let reported = 0;
    const progress = new SweepProgress(data.spec.cells.length, (done) => {
      post({ type: 'progress', cells: done - reported });
      reported = done;
    });
    const result = await runPatchCells(model, data.spec, (logits) => logitDifference(logits, 0, data.answer, data.wrong), progress);
    post({ type: 'result', result });
  } finally {
    model.dispose();
  }
} catch (error) {
  post({ type: 'error', name: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) });
}
