/**
 * One /api/lens call with a token box as its target. A target the server refuses (two
 * tokens, unknown text) must not cost the whole lens: the refusal is kept, worded for the
 * box, and the lens is fetched again without a target, so every statistic that does not
 * need the token still shows. Pure (the call is passed in), tested in Node.
 */
import type { LensRequest, LensResponse } from '../../api/index.ts';
import { ApiError } from './api.ts';
import { renameFieldError, type FieldBoxes } from './fieldNames.ts';

export interface LensFetch {
  /** Absent only when the target failed and no fallback was asked for. */
  lens?: LensResponse;
  /** Why the target box could not be used, in the box's terms. */
  targetError?: string;
}

/**
 * Runs `body`. With `fallback`, a refused target gives the untargeted lens plus the reason;
 * without (a run fetched only for its target's logits), just the reason.
 */
export async function fetchLens(call: (body: LensRequest) => Promise<LensResponse>, body: LensRequest, boxes: FieldBoxes, fallback: boolean): Promise<LensFetch> {
  try {
    return { lens: await call(body) };
  } catch (error) {
    const named = renameFieldError(error, boxes);
    if (!(error instanceof ApiError) || error.field !== 'target') throw named;
    const targetError = (named as Error).message;
    if (!fallback) return { targetError };
    const { target: _refused, ...untargeted } = body;
    try {
      return { lens: await call(untargeted), targetError };
    } catch (again) {
      throw renameFieldError(again, boxes);
    }
  }
}
