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

  it('checkpoint awaits betweenBatches (where a server runs other requests), and a cancel made meanwhile still stops the sweep', async () => {
    const controller = new AbortController();
    const order: string[] = [];
    let turns = 0;
    const progress = new SweepProgress(2, undefined, controller.signal, async () => {
      order.push('other work');
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (++turns === 2) controller.abort(); // e.g. a DELETE /api/jobs/:id answered while the job waited
    });
    await progress.checkpoint();
    order.push('batch 1');
    await expect(progress.checkpoint()).rejects.toMatchObject({ name: 'AbortError' });
    expect(order).toEqual(['other work', 'batch 1', 'other work']);
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
