import { describe, expect, it } from 'vitest';
import { RequestStore } from '../../src/client/state/requests.ts';

/** A runner that finishes only when told, and reports whether it was aborted. */
function controlled() {
  let finish: (value: string) => void = () => undefined;
  const seen = { aborted: false };
  const run = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      finish = resolve;
      signal.addEventListener('abort', () => {
        seen.aborted = true;
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      });
    });
  return { run, seen, finish: (v: string) => finish(v) };
}

describe('request store', () => {
  it('marks a cancelled request until it is started again, and never a finished or failed one', async () => {
    const store = new RequestStore();
    const job = controlled();
    store.start('k', job.run);
    expect(store.get('k')).toMatchObject({ status: 'loading' });
    expect(store.get('k').cancelled).toBeUndefined();
    store.cancel('k');
    expect(job.seen.aborted).toBe(true);
    await Promise.resolve();
    expect(store.get('k')).toEqual({ status: 'idle', cancelled: true });
    const again = controlled();
    store.start('k', again.run);
    expect(store.get('k').cancelled).toBeUndefined();
    again.finish('done');
    await new Promise((r) => setTimeout(r, 0));
    expect(store.get('k')).toEqual({ status: 'done', data: 'done' });
    // Cancelling what is not running changes nothing.
    store.cancel('k');
    expect(store.get('k')).toEqual({ status: 'done', data: 'done' });
    store.start('e', () => Promise.reject(new Error('boom')));
    await new Promise((r) => setTimeout(r, 0));
    expect(store.get('e')).toEqual({ status: 'error', error: 'boom' });
  });
});
