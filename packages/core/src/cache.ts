import * as tf from '@tensorflow/tfjs-core';
import { nearestNames } from './hooks/names.ts';
import type { HookName } from './hooks/names.ts';
import type { HostTensor } from './weights.ts';

/**
 * Activations saved by `runWithCache`, keyed by hook name. The cache owns its tensors:
 * `get` lends one, `dispose` frees them all.
 */
export class ActivationCache {
  private readonly tensors: Map<HookName, tf.Tensor>;

  constructor(tensors: Map<HookName, tf.Tensor>) {
    this.tensors = tensors;
  }

  /**
   * The activation at `name` (owned by the cache: do not dispose it). A misspelt literal is a
   * compile error; a name built at run time goes through `hookName()`.
   */
  get<T extends tf.Tensor = tf.Tensor>(name: HookName): T {
    const tensor = this.tensors.get(name);
    if (!tensor) {
      const known = [...this.tensors.keys()];
      const hint = known.length ? `; cached: ${nearestNames(known, name, 3).map((n) => `"${n}"`).join(', ')}` : '; the cache is empty';
      throw new Error(`activation "${name}" is not in the cache${hint}`);
    }
    if (tensor.isDisposed) throw new Error(`activation "${name}": the cache was disposed`);
    return tensor as T;
  }

  /** Whether `name` was cached; any string may be asked about. */
  has(name: string): boolean {
    return this.tensors.has(name as HookName);
  }

  names(): HookName[] {
    return [...this.tensors.keys()];
  }

  get bytes(): number {
    let total = 0;
    for (const tensor of this.tensors.values()) total += tensor.size * 4;
    return total;
  }

  /** Plain float32 copies of every activation, e.g. to write a file or send as JSON. */
  toArrays(): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const [name, tensor] of this.tensors) out[name] = { shape: tensor.shape.slice(), data: tensor.dataSync() as Float32Array };
    return out;
  }

  dispose(): void {
    tf.dispose([...this.tensors.values()]);
    this.tensors.clear();
  }
}
