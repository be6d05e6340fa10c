/**
 * One queue per server for every model call: tfjs and the models' hook registries are shared
 * state, so two browsers' runs must not interleave. Tasks hold the turn one at a time, in arrival
 * order; a failing task does not stop the ones behind it.
 *
 * A long task (a job's sweep) gives way between its batches with `turn.giveWay()`: the tasks
 * waiting at that moment run, then the long task gets the turn back, ahead of anything that
 * arrived later. So a sweep delays short requests by at most one batch, and still never runs
 * model code at the same time as them. Between its batches a sweep holds no hooks and no tidy
 * scope (only its own cached tensors), so the model is in the state any other call expects.
 *
 * On shutdown close() refuses new tasks and the waiting ones (503), so nothing starts model work
 * while the models are disposed, and resolves once the task holding the turn has finished.
 */
import { HttpError } from './httpError.ts';

export interface QueueTurn {
  /** Lets the tasks waiting now run, then resolves when this task has the turn again (at once if none wait). */
  giveWay(): Promise<void>;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class ModelQueue {
  private busy = false;
  /** Who gets the turn next, first in line first. */
  private readonly waiting: Waiter[] = [];
  private tasks = 0;
  private closed = false;
  /** Resolves close() once the turn is free. */
  private onIdle?: () => void;
  private closing?: Promise<void>;

  /** Tasks queued or running. */
  get pending(): number {
    return this.tasks;
  }

  async run<T>(task: (turn: QueueTurn) => T | Promise<T>): Promise<T> {
    if (this.closed) throw stopping();
    this.tasks++;
    let givingWay = false;
    let finished = false;
    const turn: QueueTurn = {
      giveWay: async () => {
        if (givingWay || finished) throw new Error(`giveWay() while the task is ${finished ? 'finished' : 'already giving way'}`);
        if (this.waiting.length === 0) return;
        givingWay = true;
        this.handOver();
        await this.take();
        givingWay = false;
        // A task that finished without awaiting its giveWay() must not keep the turn it got back.
        if (finished) this.handOver();
      },
    };
    try {
      await this.take();
    } catch (error) {
      // Refused (closing) before it ever had the turn: there is no turn to hand on.
      finished = true;
      this.tasks--;
      throw error;
    }
    try {
      return await task(turn);
    } finally {
      if (!givingWay) this.handOver();
      finished = true;
      this.tasks--;
    }
  }

  /** Refuses new and waiting tasks (503); resolves when the task holding the turn, if any, has finished. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(stopping());
    this.closing = this.busy ? new Promise((resolve) => (this.onIdle = resolve)) : Promise.resolve();
    return this.closing;
  }

  /** Resolves once this caller has the turn. */
  private take(): Promise<void> {
    if (this.closed) return Promise.reject(stopping());
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Passes the turn to the next in line (it stays busy), or frees it. */
  private handOver(): void {
    const next = this.waiting.shift();
    if (next) return next.resolve();
    this.busy = false;
    this.onIdle?.();
  }
}

function stopping(): HttpError {
  return new HttpError(503, 'the server is stopping');
}
