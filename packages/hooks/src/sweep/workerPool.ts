/**
 * Runs shares of a sweep on worker threads. The WASM backend runs one thread per Node
 * process, so a sweep split over N workers (each with its own model and backend) uses N cores.
 *
 * Workers run the entry module as this package runs: built JavaScript (dist/, the published
 * package) directly, TypeScript source (the repository, no build step) from a tiny bootstrap
 * that registers tsx's loader, as bin/hooklens.js does, then imports the entry module; this
 * works under tsx, the CLI and vitest alike.
 *
 * Protocol: the entry reads `workerData` and posts `{ type: 'progress', cells }` as it goes,
 * then `{ type: 'result', result }` or `{ type: 'error', name, message }`.
 *
 * @example
 * const results = await runWorkerPool<number[]>(new URL('./myWorker.ts', import.meta.url), shares, { onProgress: (cells) => bar.tick(cells) });
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { abortError } from './progress.ts';

export type WorkerMessage<T> =
  | { type: 'progress'; cells: number }
  | { type: 'result'; result: T }
  | { type: 'error'; name: string; message: string };

export interface WorkerPoolOptions {
  /** Called with the cells a worker just finished (a delta, not a total). */
  onProgress?: (cells: number) => void;
  /** Aborting terminates every worker and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Cores available to this process (at least 1). */
export function availableCores(): number {
  return Math.max(1, cpus().length);
}

/** tsx's ESM API, resolved from this package so workers can register it wherever the process started. */
function tsxApiUrl(): string {
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
}

/**
 * The sibling module `name` (no extension) of the module at `self` (its import.meta.url), with
 * that module's own extension: `.ts` when running from source, `.js` once built.
 */
export function siblingModule(name: string, self: string): URL {
  return new URL(`./${name}${extname(new URL(self).pathname)}`, self);
}

/** A worker thread running the module `entry`: JavaScript directly, TypeScript through tsx. */
export function startModuleWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const bootstrap = `import(${JSON.stringify(tsxApiUrl())})
    .then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })
    .catch((error) => { require('node:worker_threads').parentPort.postMessage({ type: 'error', name: error.name ?? 'Error', message: String(error.message ?? error) }); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** One worker per share; resolves with the shares' results in order once all have finished. */
export function runWorkerPool<T>(entry: URL, shares: readonly unknown[], options: WorkerPoolOptions = {}): Promise<T[]> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise<T[]>((resolve, reject) => {
    const results = new Array<T>(shares.length);
    let pending = shares.length;
    let settled = false;
    const workers: Worker[] = [];
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const worker of workers) void worker.terminate();
      if (error) reject(error);
      else resolve(results);
    };
    const onAbort = () => finish(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    shares.forEach((share, index) => {
      const worker = startModuleWorker(entry, share);
      workers.push(worker);
      worker.on('message', (message: WorkerMessage<T>) => {
        if (settled) return;
        if (message.type === 'progress') options.onProgress?.(message.cells);
        else if (message.type === 'error') finish(Object.assign(new Error(message.message), { name: message.name }));
        else {
          results[index] = message.result;
          if (--pending === 0) finish();
        }
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (!settled && results[index] === undefined) finish(new Error(`sweep worker ${index} exited (code ${code}) before returning its results`));
      });
    });
    if (shares.length === 0) finish();
  });
}
