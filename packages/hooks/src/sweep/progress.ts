/**
 * Progress and cancellation for long sweeps (the shared sweep conventions): report
 * (done, total) after each batch, yield to the event loop between batches so an
 * AbortSignal or a progress bar gets a chance to run, and throw an Error named
 * 'AbortError' when cancelled.
 *
 * @example
 * const controller = new AbortController();
 * const tracker = new SweepProgress(cells.length, (done, total) => console.log(`${done}/${total}`), controller.signal);
 * for (const batch of batches) { await tracker.checkpoint(); run(batch); tracker.advance(batch.length); }
 */

/** Options every sweep accepts. */
export interface SweepOptions {
  /** Runs (cells) per forward pass; default chosen from memory. */
  batchSize?: number;
  /** Called after each batch with the cells done so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Cancels the sweep between batches: it then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Awaited before each batch: lets a caller that serialises model calls (the API server) run other work in between. */
  betweenBatches?: () => Promise<void>;
}

/** The error a cancelled sweep throws: name 'AbortError', message 'sweep cancelled'. */
export function abortError(): Error {
  const error = new Error('sweep cancelled');
  error.name = 'AbortError';
  return error;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

/** Lets timers, I/O and abort listeners run between batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Counts finished cells and forwards them to `onProgress`; `checkpoint` is the cancellation point. */
export class SweepProgress {
  private done = 0;

  constructor(
    readonly total: number,
    private readonly onProgress?: (done: number, total: number) => void,
    readonly signal?: AbortSignal,
    private readonly betweenBatches?: () => Promise<void>,
  ) {}

  /** Yields to the event loop, then throws if the sweep was cancelled meanwhile. */
  async checkpoint(): Promise<void> {
    throwIfAborted(this.signal);
    await yieldToEventLoop();
    await this.betweenBatches?.();
    throwIfAborted(this.signal);
  }

  advance(cells: number): void {
    this.done += cells;
    this.onProgress?.(this.done, this.total);
  }
}
