import * as tf from '@tensorflow/tfjs-core';

type DataId = tf.DataId;

interface Entry {
  values: tf.BackendValues;
  refCount: number;
}

/**
 * A tfjs tensor store in ordinary JavaScript memory, with no kernels. The onnx engine hands
 * hooks, caches and logits tfjs tensors that live here, and the tools' readout weights too, so
 * a large model's activations and weights stay out of the WebAssembly heap (4 GiB at most,
 * shared by everything on the wasm backend), and are wrapped around ONNX Runtime's output
 * arrays and the host weights without a copy.
 *
 * Why a store of its own rather than tfjs' `cpu` backend: tfjs moves a tensor's data to the
 * active backend the first time a kernel there reads it (its engine's moveData), whichever
 * backend holds it, so any store works and hook code that computes on these tensors runs
 * unchanged; tfjs-backend-cpu would add ~200 ms of import to every start for nothing it runs.
 * It is never registered, so tfjs can never choose it as the active backend; tensors name
 * it as their backend when made (tf.engine().makeTensor's backend argument). Only what a hook
 * or tool computes with moves to the active backend; a cache that is only read stays here.
 */
class HostStore extends tf.KernelBackend {
  private readonly data = new Map<DataId, Entry>();

  override write(values: tf.BackendValues, _shape: number[], _dtype: tf.DataType): DataId {
    const dataId: DataId = {};
    this.data.set(dataId, { values, refCount: 1 });
    return dataId;
  }

  override move(dataId: DataId, values: tf.BackendValues, _shape: number[], _dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { values, refCount });
  }

  override readSync(dataId: DataId): tf.BackendValues {
    const entry = this.data.get(dataId);
    if (!entry) throw new Error('host tensor store: the tensor was disposed');
    return entry.values;
  }

  override read(dataId: DataId): Promise<tf.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override refCount(dataId: DataId): number {
    return this.data.get(dataId)?.refCount ?? 0;
  }

  override incRef(dataId: DataId): void {
    const entry = this.data.get(dataId);
    if (entry) entry.refCount++;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.get(dataId);
    if (!entry) return true;
    entry.refCount--;
    if (!force && entry.refCount > 0) return false;
    this.data.delete(dataId);
    return true;
  }

  override numDataIds(): number {
    return this.data.size;
  }

  override memory(): { unreliable: boolean } {
    return { unreliable: false };
  }

  override timerAvailable(): boolean {
    return false;
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    this.data.clear();
  }
}

const store = new HostStore();

type EngineWithState = { state: { tensorInfo: { get(dataId: DataId): { backend: tf.KernelBackend } | undefined } } };

/**
 * A float32 tfjs tensor over `data` (not copied: do not write to it afterwards) in JavaScript
 * memory; tracked like any tensor (tidy, keep, dispose, tf.memory()).
 */
export function tensorOnHost(data: Float32Array, shape: readonly number[]): tf.Tensor {
  return tf.engine().makeTensor(data, [...shape], 'float32', store);
}

/** A host copy of `tensor` (wherever it lives), leaving it where it is. */
export function copyOnHost(tensor: tf.Tensor): tf.Tensor {
  return tensorOnHost((tensor.dataSync() as Float32Array).slice(), tensor.shape);
}

/** Whether `tensor`'s data is in JavaScript memory (not moved to a backend by a computation yet). */
export function isOnHost(tensor: tf.Tensor): boolean {
  return (tf.engine() as unknown as EngineWithState).state.tensorInfo.get(tensor.dataId)?.backend === store;
}

/** How many tensor buffers the host store holds (for leak checks). */
export function hostStoreBuffers(): number {
  return store.numDataIds();
}
