/**
 * The job system for long work (sweeps). Jobs run one after another; a running job holds the
 * model queue's turn and gives way between its batches (see queue.ts), so requests are answered
 * while it runs. Its progress is broadcast to listeners (server-sent events) and its result kept
 * until fetched. At most MAX_FINISHED finished jobs are kept: beyond that the oldest fetched
 * ones are dropped first, then the oldest unfetched. At most MAX_ACTIVE jobs wait or run.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as eventLoopTurn } from 'node:timers/promises';
import type { JobInfo, JobKind, JobProgress } from '../api/index.ts';
import { errorResponse, HttpError } from './httpError.ts';
import type { Logger } from './httpError.ts';
import type { ModelQueue, QueueTurn } from './queue.ts';

export const MAX_FINISHED = 32;
export const MAX_ACTIVE = 16;

/**
 * A job's work. `giveWay` is to be awaited between batches: the requests waiting for the model
 * run meanwhile (the work must then hold no hooks and no tidy scope open).
 */
export type JobWork = (signal: AbortSignal, onProgress: (done: number, total: number) => void, giveWay: QueueTurn['giveWay']) => Promise<NonNullable<JobInfo['result']>>;

export interface JobListener {
  progress(progress: JobProgress): void;
  end(info: JobInfo): void;
}

interface Job {
  info: JobInfo;
  controller: AbortController;
  fetched: boolean;
  listeners: Set<JobListener>;
  /** Settles when the job reaches a final status. */
  settled: Promise<void>;
}

const FINAL = new Set(['done', 'error', 'cancelled']);

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  /** Settles when the last job started so far has: jobs run one at a time, so only one sweep's tensors are alive. */
  private lane: Promise<void> = Promise.resolve();

  constructor(
    private readonly queue: ModelQueue,
    private readonly log: Logger,
  ) {}

  start(kind: JobKind, model: string, work: JobWork): JobInfo {
    const active = [...this.jobs.values()].filter((job) => !FINAL.has(job.info.status)).length;
    if (active >= MAX_ACTIVE) throw new HttpError(429, `${active} jobs are already queued or running (at most ${MAX_ACTIVE}); wait for one to finish or cancel one`);
    const job: Job = {
      info: { id: randomUUID(), kind, model, status: 'queued', progress: { done: 0, total: 0 }, createdAt: new Date().toISOString() },
      controller: new AbortController(),
      fetched: false,
      listeners: new Set(),
      settled: Promise.resolve(),
    };
    this.jobs.set(job.info.id, job);
    job.settled = this.lane = this.lane
      .then(() => this.run(job, work))
      .catch((error: unknown) => this.log(`hooklens serve: job ${job.info.id} failed outside its work: ${String(error)}`));
    return this.snapshot(job, false);
  }

  /** The job's state; fetching a finished job marks its result as delivered. */
  get(id: string): JobInfo {
    const job = this.find(id);
    return this.snapshot(job, FINAL.has(job.info.status));
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((job) => this.snapshot(job, false, false));
  }

  /**
   * Cancels a queued or running job and answers once it has stopped (a running sweep stops
   * at its next batch); a finished job is removed. Either way the final state is returned.
   */
  async cancel(id: string): Promise<JobInfo> {
    const job = this.find(id);
    if (FINAL.has(job.info.status)) {
      this.jobs.delete(id);
      return this.snapshot(job, true);
    }
    job.controller.abort();
    // A queued job never starts; a running one stops at its next batch.
    if (job.info.status === 'queued') this.finish(job, { status: 'cancelled' });
    else await job.settled;
    return this.snapshot(job, true);
  }

  /** Follows a job: progress now and after every batch, then end (at once for a finished job). Returns the unsubscribe. */
  subscribe(id: string, listener: JobListener): () => void {
    const job = this.find(id);
    listener.progress(job.info.progress);
    if (FINAL.has(job.info.status)) {
      listener.end(this.snapshot(job, true));
      return () => {};
    }
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Cancels everything (server shutdown). */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.jobs.values()].filter((job) => !FINAL.has(job.info.status)).map((job) => this.cancel(job.info.id)));
  }

  private async run(job: Job, work: JobWork): Promise<void> {
    if (job.controller.signal.aborted) return;
    await this.queue.run(async (turn) => {
      if (job.controller.signal.aborted) return;
      job.info.status = 'running';
      this.emitProgress(job);
      try {
        const onProgress = (done: number, total: number) => {
          job.info.progress = { done, total };
          this.emitProgress(job);
        };
        // The event loop first: requests that arrived during the batch get parsed and join the queue.
        const giveWay = async () => {
          await eventLoopTurn();
          await turn.giveWay();
        };
        this.finish(job, { status: 'done', result: await work(job.controller.signal, onProgress, giveWay) });
      } catch (error) {
        // A cancelled job may also stop with the queue's refusal (server shutdown) while giving way.
        if ((error instanceof Error && error.name === 'AbortError') || job.controller.signal.aborted) return this.finish(job, { status: 'cancelled' });
        const { status, body } = errorResponse(error, this.log);
        this.finish(job, { status: 'error', error: body.error, ...(status >= 500 && body.errorId && { errorId: body.errorId }) });
      }
    });
  }

  private find(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new HttpError(404, `unknown job '${id}' (finished jobs are kept until fetched, at most ${MAX_FINISHED})`);
    return job;
  }

  private finish(job: Job, outcome: Pick<JobInfo, 'status' | 'result' | 'error' | 'errorId'>): void {
    if (FINAL.has(job.info.status)) return;
    Object.assign(job.info, outcome, { finishedAt: new Date().toISOString() });
    for (const listener of job.listeners) listener.end(this.snapshot(job, true));
    job.listeners.clear();
    this.evict();
  }

  private emitProgress(job: Job): void {
    for (const listener of job.listeners) listener.progress(job.info.progress);
  }

  private snapshot(job: Job, delivers: boolean, withResult = true): JobInfo {
    if (delivers) job.fetched = true;
    const { result, ...rest } = job.info;
    return { ...rest, progress: { ...rest.progress }, ...(withResult && result !== undefined && { result }) };
  }

  private evict(): void {
    const finished = [...this.jobs.values()].filter((job) => FINAL.has(job.info.status));
    let excess = finished.length - MAX_FINISHED;
    for (const job of [...finished.filter((j) => j.fetched), ...finished.filter((j) => !j.fetched)]) {
      if (excess-- <= 0) break;
      this.jobs.delete(job.info.id);
    }
  }
}
