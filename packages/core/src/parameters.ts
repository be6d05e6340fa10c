import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config.ts';
import { validateWeights, WeightError, weightSpecs } from './weights.ts';
import type { WeightMap } from './weights.ts';

/** The model's weights as tensors, owned by the model and released by `dispose`. */
export class Parameters {
  private readonly tensors = new Map<string, tf.Tensor>();

  /** With `trainable`, every weight is a tf.Variable that optimisers can update in place. */
  constructor(config: ModelConfig, weights: WeightMap, source?: string, trainable = false) {
    validateWeights(config, weights, source);
    for (const [name, spec] of weightSpecs(config)) {
      const host = weights.get(name);
      if (!host) continue;
      const tensor = tf.tensor(host.data, spec.shape, 'float32');
      this.tensors.set(name, trainable ? tf.variable(tensor, true) : tensor);
      if (trainable) tensor.dispose();
    }
  }

  /** The trainable variables by canonical name (empty unless built trainable). */
  variables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, tensor] of this.tensors) if (tensor instanceof tf.Variable) out.set(name, tensor);
    return out;
  }

  /** Host copies of every weight, in canonical names. */
  toWeightMap(): WeightMap {
    const out: WeightMap = new Map();
    for (const [name, tensor] of this.tensors) out.set(name, { shape: tensor.shape.slice(), data: tensor.dataSync() as Float32Array });
    return out;
  }

  get<T extends tf.Tensor>(name: string): T {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new WeightError(`no parameter "${name}"`);
    return tensor as T;
  }

  optional<T extends tf.Tensor>(name: string): T | undefined {
    return this.tensors.get(name) as T | undefined;
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Number of scalar parameters (a tied unembedding counts once, as it is one matrix). */
  count(tied: boolean): number {
    let total = 0;
    for (const [name, tensor] of this.tensors) if (!(tied && name === 'unembed.W_U')) total += tensor.size;
    return total;
  }

  dispose(): void {
    tf.dispose([...this.tensors.values()]);
    this.tensors.clear();
  }
}
