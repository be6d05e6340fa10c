import * as tf from '@tensorflow/tfjs-core';
import type { HookFunction, HookPoint } from './hookPoint.ts';
import type { HookContext } from '../engine/ops.ts';

/**
 * The hooks active for one forward pass. Components call `hook(name, value)` where each
 * value is computed; with nothing attached that is a single map lookup.
 */
export class RunContext implements HookContext<tf.Tensor> {
  constructor(
    private readonly points: ReadonlyMap<string, HookPoint>,
    private readonly active: ReadonlyMap<string, readonly HookFunction[]>,
  ) {}

  /** Whether anyone listens at `name`; lets optional activations (hook_result) be skipped. */
  wants(name: string): boolean {
    return this.active.has(name);
  }

  hook<T extends tf.Tensor>(name: string, value: T): T {
    const functions = this.active.get(name);
    if (!functions) return value;
    const point = this.points.get(name)!;
    let current: T = value;
    for (const fn of functions) {
      const replacement = fn(current, point);
      if (replacement === undefined || replacement === current) continue;
      if (!tf.util.arraysEqual(replacement.shape, current.shape)) {
        throw new Error(`hook at "${name}" returned shape [${replacement.shape.join(', ')}], expected [${current.shape.join(', ')}]`);
      }
      current = (replacement.dtype === current.dtype ? replacement : replacement.cast(current.dtype)) as T;
    }
    return current;
  }
}
