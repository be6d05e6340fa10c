import { describe, expect, it } from 'vitest';
import { abortError, isAbortError, SweepProgress, throwIfAborted } from '../../src/sweep/progress.ts';

describe('sweep progress and cancellation', () => {
  it('advance reports cumulative progress against the total', () => {
    const calls: [number, number][] = [];
    const progress = new SweepProgress(5, (done, total) => calls.push([done, total]));
    progress.advance(2);
    progress.advance(3);
    expect(calls).toEqual([[2, 5], [5, 5]]);
  });

  it('checkpoint yields, then throws an AbortError if aborted meanwhile', async () => {
    const controller = new AbortController();
    const progress = new SweepProgress(1, undefined, controller.signal);
    await progress.checkpoint();
    setImmediate(() => controller.abort());
    await expect(progress.checkpoint()).rejects.toMatchObject({ name: 'AbortError', message: 'sweep cancelled' });
  });

  it('abortError and throwIfAborted follow the shared convention', () => {
    expect(isAbortError(abortError())).toBe(true);
    expect(isAbortError(new Error('x'))).toBe(false);
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal)).toThrow('sweep cancelled');
  });
});
