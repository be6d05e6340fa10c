import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config.ts';
import { tensorOnHost } from './engine/hostTensors.ts';
import { TransposedView, validateWeights, WeightError, weightSpecs } from './weights.ts';
import type { HostTensor, WeightMap } from './weights.ts';

/**
 * The model's weights as tensors, owned by the model and released by `dispose`. Inference
 * weights become tfjs tensors when first asked for: a model on the onnx engine feeds ONNX
 * Runtime from the host copies and never fills the tfjs (WebAssembly) heap with them.
 */
export class Parameters {
  private readonly host = new Map<string, HostTensor>();
  private readonly tensors = new Map<string, tf.Tensor>();

  /**
   * With `trainable`, every weight is a tf.Variable (built at once) that optimisers can update in place.
   * With `onHost`, inference weights become tensors over their host arrays in JavaScript memory
   * (hostTensors.ts): no copy, and none in the WebAssembly heap until a computation moves one there.
   */
  constructor(config: ModelConfig, weights: WeightMap, source?: string, private readonly trainable = false, private readonly onHost = false) {
    validateWeights(config, weights, source);
    for (const [name, spec] of weightSpecs(config)) {
      const host = weights.get(name);
      // A view (a tied W_U) stays one: its values are made only if something reads them.
      if (host) this.host.set(name, host instanceof TransposedView ? host : { shape: spec.shape, data: host.data });
    }
    if (trainable) {
      for (const [name, host] of this.host) {
        const tensor = tf.tensor(host.data, host.shape, 'float32');
        this.tensors.set(name, tf.variable(tensor, true));
        tensor.dispose();
      }
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
    for (const [name, host] of this.host) {
      // Variables may have been trained; inference weights are their host copies.
      const data = this.trainable ? (this.tensors.get(name)!.dataSync() as Float32Array) : host.data.slice();
      out.set(name, { shape: host.shape.slice(), data });
    }
    return out;
  }

  get<T extends tf.Tensor>(name: string): T {
    const tensor = this.optional<T>(name);
    if (!tensor) throw new WeightError(`no parameter "${name}"`);
    return tensor;
  }

  optional<T extends tf.Tensor>(name: string): T | undefined {
    let tensor = this.tensors.get(name);
    if (!tensor) {
      const host = this.host.get(name);
      if (!host) return undefined;
      // Kept: the first request may come inside a forward pass' tf.tidy.
      tensor = tf.keep(this.onHost ? tensorOnHost(host.data, host.shape) : tf.tensor(host.data, host.shape, 'float32'));
      this.tensors.set(name, tensor);
    }
    return tensor as T;
  }

  /** Makes the named weights tfjs tensors now (those absent are skipped), so they count among the model's own from load on. */
  materialize(names: Iterable<string>): void {
    for (const name of names) this.optional(name);
  }

  has(name: string): boolean {
    return this.host.has(name);
  }

  /** A weight's host copy (never a tfjs tensor), by canonical name. */
  hostTensor(name: string): HostTensor | undefined {
    return this.host.get(name);
  }

  names(): string[] {
    return [...this.host.keys()];
  }

  /** Number of scalar parameters (a tied unembedding counts once, as it is one matrix). */
  count(tied: boolean): number {
    let total = 0;
    for (const [name, host] of this.host) if (!(tied && name === 'unembed.W_U')) total += host.shape.reduce((product, size) => product * size, 1);
    return total;
  }

  dispose(): void {
    tf.dispose([...this.tensors.values()]);
    this.tensors.clear();
  }
}
