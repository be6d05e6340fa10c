/**
 * Results of API calls, kept by request key for the page's lifetime so switching views
 * never loses a finished sweep, and two views asking the same question share one answer.
 * A request runs independently of the component that started it (a long job keeps going
 * while another tab is open) until it finishes or is cancelled.
 */
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { JobProgress } from '../../api/index.ts';

export type RequestStatus = 'idle' | 'loading' | 'done' | 'error';

export interface RequestEntry<T> {
  status: RequestStatus;
  data?: T;
  error?: string;
  progress?: JobProgress;
  /** Stopped by cancel() (idle again, without a result): views say so until it is started again. */
  cancelled?: boolean;
}

export type Runner<T> = (signal: AbortSignal, onProgress: (p: JobProgress) => void) => Promise<T>;

interface Stored extends RequestEntry<unknown> {
  controller?: AbortController;
}

const IDLE: RequestEntry<never> = { status: 'idle' };

/** Finished answers kept; beyond this the oldest are dropped (typing a prompt makes one per pause). */
const MAX_ENTRIES = 300;

export class RequestStore {
  private entries = new Map<string, Stored>();
  private listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get<T>(key: string | null): RequestEntry<T> {
    return (key !== null ? (this.entries.get(key) as RequestEntry<T> | undefined) : undefined) ?? IDLE;
  }

  private set(key: string, entry: Stored): void {
    this.entries.delete(key); // re-insert: Map order is then least recently set first
    this.entries.set(key, entry);
    for (const [old, stored] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES) break;
      if (stored.status !== 'loading') this.entries.delete(old);
    }
    for (const l of this.listeners) l();
  }

  /** Starts `run` under `key` unless it is already running (or done, unless `force`). */
  start<T>(key: string, run: Runner<T>, force = false): void {
    const current = this.entries.get(key);
    if (current?.status === 'loading' || (current?.status === 'done' && !force)) return;
    const controller = new AbortController();
    this.set(key, { status: 'loading', controller, data: current?.data });
    run(controller.signal, (progress) => {
      const now = this.entries.get(key);
      if (now?.controller === controller) this.set(key, { ...now, progress });
    }).then(
      (data) => {
        if (this.entries.get(key)?.controller === controller) this.set(key, { status: 'done', data });
      },
      (err: Error) => {
        if (this.entries.get(key)?.controller !== controller) return;
        this.set(key, err.name === 'AbortError' ? { status: 'idle' } : { status: 'error', error: err.message || String(err) });
      },
    );
  }

  cancel(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.status !== 'loading') return;
    entry.controller?.abort();
    this.set(key, { status: 'idle', cancelled: true });
  }
}

export const requestStore = new RequestStore();

/** A stable key for a request: the route and its body. */
export function requestKey(route: string, body: unknown): string {
  return `${route} ${JSON.stringify(body)}`;
}

/**
 * Subscribes to one request. With `auto`, it starts as soon as its key is known (cheap,
 * synchronous analyses); otherwise call `start()` (long jobs). `key` null = not ready.
 */
export function useRequest<T>(key: string | null, run: Runner<T>, options: { auto?: boolean; store?: RequestStore } = {}) {
  const store = options.store ?? requestStore;
  const entry = useSyncExternalStore(store.subscribe, () => store.get<T>(key));
  const auto = options.auto ?? false;
  useEffect(() => {
    if (auto && key !== null && store.get(key).status === 'idle') store.start(key, run);
    // `run` is rebuilt every render; the key says what it asks for.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [auto, key, store]);
  const start = useCallback((force = true) => key !== null && store.start(key, run, force), [key, run, store]);
  const cancel = useCallback(() => key !== null && store.cancel(key), [key, store]);
  return { ...entry, key, start, cancel };
}
