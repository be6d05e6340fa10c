/**
 * POST /api/jobs/patching: @hooklens/hooks activationPatching, one grid per requested kind,
 * as a job whose progress counts cells over all the kinds.
 */
import { activationPatching } from '@hooklens/hooks';
import type { PatchKind, PatchingGrid, PatchingRequest, PatchingResult } from '../../api/index.ts';
import { HttpError } from '../httpError.ts';
import type { CostPart } from '../limits.ts';
import type { ModelJob } from '../modelRoute.ts';
import { forwardBytes, jobBatchSize } from '../modelRoute.ts';
import { promptIds, resolvePosition, tokenId } from '../prompt.ts';

export const patchingWork: ModelJob<PatchingRequest> = (model, request) => {
  const { nLayers, nHeads, nKvHeads, attnOnly } = model.config;
  const clean = promptIds(model, request.clean, request.prependBos, 'clean');
  const corrupted = promptIds(model, request.corrupted, request.prependBos, 'corrupted');
  if (clean.length !== corrupted.length) {
    throw new HttpError(400, `corrupted: ${corrupted.length} tokens, but clean has ${clean.length}; the prompts must have the same length`, { field: 'corrupted' });
  }
  const answer = tokenId(model, request.answer, 'answer');
  const wrong = tokenId(model, request.wrong, 'wrong');
  const metricPosition = resolvePosition(request.position, clean.length);
  const kinds: PatchKind[] = request.kinds ?? (attnOnly ? ['z', 'resid_pre', 'attn_out'] : ['z', 'resid_pre', 'attn_out', 'mlp_out']);
  if (attnOnly) {
    const bad = kinds.find((kind) => kind === 'mlp_out' || kind === 'resid_mid');
    if (bad) throw new HttpError(400, `kinds: '${bad}' does not exist in an attention-only model`, { field: 'kinds' });
  }
  if (model.config.parallelResidual && kinds.includes('resid_mid')) {
    throw new HttpError(400, "kinds: 'resid_mid' does not exist in a parallel-residual model (attention and MLP both read resid_pre)", { field: 'kinds' });
  }
  checkRange(request.layers, nLayers, 'layers');
  checkRange(request.heads, nHeads, 'heads');
  checkRange(request.positions, clean.length, 'positions');
  const selection = {
    ...(request.layers && { layers: request.layers }),
    ...(request.heads && { heads: request.heads }),
    ...(request.positions && { positions: request.positions }),
    batchSize: jobBatchSize(model, clean.length),
  };

  // Cells per kind, for an overall progress bar before each kind reports its own total.
  const layers = request.layers?.length ?? nLayers;
  const positions = request.positions?.length ?? clean.length;
  const headsOf = (kind: string) => request.heads?.length ?? (kind.startsWith('k') || kind.startsWith('v') ? nKvHeads : nHeads);
  const byPosition = (kind: PatchKind) => ['resid_pre', 'resid_mid', 'attn_out', 'mlp_out'].includes(kind);
  const estimate = (kind: PatchKind) =>
    kind.endsWith('_by_pos') ? layers * headsOf(kind) * positions : byPosition(kind) ? layers * positions : layers * headsOf(kind);
  const cells: CostPart[] = kinds.map((kind) => ({
    field: 'kinds',
    amount: estimate(kind),
    detail: `${kind}: ${layers} layers × ${kind.endsWith('_by_pos') ? `${headsOf(kind)} heads × ${positions} positions` : byPosition(kind) ? `${positions} positions` : `${headsOf(kind)} heads`}`,
  }));
  // Each grid: one value per cell, plus its row, column and position labels.
  const labels = kinds.length * (layers + Math.max(positions, nHeads) + positions);

  return {
    cost: {
      // The clean and corrupted runs' caches; the sweep sizes its batches to its own memory budget.
      tensorBytes: [forwardBytes(model, [2, clean.length], 'clean')],
      cells,
      replyValues: [...cells, { field: 'kinds', amount: labels + 2 * kinds.length + 2 }],
    },
    work: async (signal, onProgress, giveWay): Promise<PatchingResult> => {
      const totals = kinds.map(estimate);
      const done = kinds.map(() => 0);
      const report = () => onProgress(done.reduce((a, b) => a + b, 0), totals.reduce((a, b) => a + b, 0));
      const grids: PatchingGrid[] = [];
      let metricClean = 0;
      let metricCorrupted = 0;
      for (const [k, kind] of kinds.entries()) {
        // Between kinds, and between batches within one: requests waiting for the model run meanwhile.
        if (k > 0) await giveWay();
        const grid = await activationPatching(model, clean, corrupted, {
          kind,
          answer,
          wrong,
          metricPosition,
          ...selection,
          signal,
          onProgress: (count, total) => {
            done[k] = count;
            totals[k] = total;
            report();
          },
          betweenBatches: giveWay,
        });
        metricClean = grid.clean;
        metricCorrupted = grid.corrupted;
        grids.push(grid);
      }
      return { metricClean, metricCorrupted, grids };
    },
  };
};

function checkRange(values: readonly number[] | undefined, limit: number, field: string): void {
  values?.forEach((value, i) => {
    if (value >= limit) throw new HttpError(400, `${field}.${i}: ${value} is out of range [0, ${limit})`, { field: `${field}.${i}` });
  });
}
