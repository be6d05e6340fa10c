/**
 * One queue per server for every model call: tfjs and the models' hook registries are shared
 * state, so two browsers' runs must not interleave. Work runs strictly one at a time, in
 * arrival order; a failing task does not stop the ones behind it.
 */
export class ModelQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks queued or running. */
  get pending(): number {
    return this.waiting;
  }

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return result;
  }
}
