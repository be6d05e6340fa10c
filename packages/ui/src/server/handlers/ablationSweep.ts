/** POST /api/jobs/ablation-sweep: @hooklens/hooks ablationSweep over every head, as a job. */
import { ablationSweep as sweepHeads } from '@hooklens/hooks';
import type { AblationSweepRequest, AblationSweepResult } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import type { ModelJob } from '../modelRoute.ts';
import { forwardBytes, jobBatchSize } from '../modelRoute.ts';
import { promptIds } from '../prompt.ts';
import { metricOptions } from './metric.ts';

/** Checks the request now (so a bad one is a 400, not a failed job) and returns the job's work. */
export const ablationSweepWork: ModelJob<AblationSweepRequest> = (model, request) => {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const metric = metricOptions(model, request, ids.length);
  const loss = request.loss ?? true;
  if (!loss && metric.answer === undefined) throw new HttpError(400, 'answer: loss: false needs answer and wrong (the metric is the only output)', { field: 'answer' });
  if (loss && ids.length < 2) throw new HttpError(400, 'prompt: the loss needs at least 2 tokens', { field: 'prompt' });
  const { nLayers, nHeads } = model.config;
  const cells = nLayers * nHeads;
  return {
    cost: {
      // The clean run's cache and at least one ablated row (the sweep sizes its batches to its own memory budget).
      tensorBytes: [forwardBytes(model, [2, ids.length], 'prompt')],
      cells: [{ field: 'model', amount: cells, detail: `${nLayers} layers × ${nHeads} heads` }],
      replyValues: [{ field: 'model', amount: 2 * cells + 2 }],
    },
    work: async (signal, onProgress, giveWay): Promise<AblationSweepResult> => {
      const options = {
        ...metric,
        ...(request.mode !== undefined && { mode: request.mode }),
        ...(request.seed !== undefined && { seed: request.seed }),
        batchSize: jobBatchSize(model, ids.length),
        signal,
        onProgress,
        betweenBatches: giveWay,
      };
      return loss ? sweepHeads(model, ids, options) : sweepHeads(model, ids, { ...options, loss: false });
    },
  };
};
