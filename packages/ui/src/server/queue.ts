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
 */
export interface QueueTurn {
  /** Lets the tasks waiting now run, then resolves when this task has the turn again (at once if none wait). */
  giveWay(): Promise<void>;
}

export class ModelQueue {
  private busy = false;
  /** Who gets the turn next, first in line first. */
  private readonly waiting: (() => void)[] = [];
  private tasks = 0;

  /** Tasks queued or running. */
  get pending(): number {
    return this.tasks;
  }

  async run<T>(task: (turn: QueueTurn) => T | Promise<T>): Promise<T> {
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
      return await task(turn);
    } finally {
      if (!givingWay) this.handOver();
      finished = true;
      this.tasks--;
    }
  }

  /** Resolves once this caller has the turn. */
  private take(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Passes the turn to the next in line (it stays busy), or frees it. */
  private handOver(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}
