/** POST /api/jobs/ablation-sweep: @hooklens/hooks ablationSweep over every head, as a job. */
import type { HookedTransformer } from '@hooklens/core';
import { ablationSweep as sweepHeads } from '@hooklens/hooks';
import type { AblationSweepRequest, AblationSweepResult } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import type { JobWork } from '../jobs.ts';
import { promptIds } from '../prompt.ts';
import { metricOptions } from './metric.ts';

/** Checks the request now (so a bad one is a 400, not a failed job) and returns the job's work. */
export function ablationSweepWork(model: HookedTransformer, request: AblationSweepRequest): JobWork {
  const ids = promptIds(model, request.prompt, request.prependBos);
  const metric = metricOptions(model, request, ids.length);
  const loss = request.loss ?? true;
  if (!loss && metric.answer === undefined) throw new HttpError(400, 'answer: loss: false needs answer and wrong (the metric is the only output)', { field: 'answer' });
  if (loss && ids.length < 2) throw new HttpError(400, 'prompt: the loss needs at least 2 tokens', { field: 'prompt' });
  return async (signal, onProgress, giveWay): Promise<AblationSweepResult> => {
    const options = {
      ...metric,
      ...(request.mode !== undefined && { mode: request.mode }),
      ...(request.seed !== undefined && { seed: request.seed }),
      signal,
      onProgress,
      betweenBatches: giveWay,
    };
    return loss ? sweepHeads(model, ids, options) : sweepHeads(model, ids, { ...options, loss: false });
  };
}
