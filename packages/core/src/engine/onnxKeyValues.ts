/**
 * Generation's key/value cache on the onnx engine, on the host. Graphs have static shapes, so
 * each step feeds the past keys and values in a buffer whose length (its capacity) grows in
 * powers of two; slots past the real ones are masked out. A generation thus needs one session
 * per capacity (a handful), not one per step.
 */

const SMALLEST_CAPACITY = 8;

/** The capacity that holds `length` past positions: a power of two (at least 8), at most n_ctx. */
export function keyValueCapacity(length: number, nCtx: number): number {
  let capacity = SMALLEST_CAPACITY;
  while (capacity < length) capacity *= 2;
  return Math.min(capacity, Math.max(nCtx, length));
}

/**
 * The additive mask [1, 1, queries, capacity + queries] of a step whose keys are the cache's
 * `capacity` slots (the first `past` of them real) followed by the step's own: causal over the
 * step's keys, -Infinity on the empty slots.
 */
export function cachedStepMaskBias(past: number, capacity: number, queries: number): Float32Array {
  const keys = capacity + queries;
  const bias = new Float32Array(queries * keys);
  for (let query = 0; query < queries; query++) {
    for (let key = 0; key < keys; key++) {
      const allowed = key < capacity ? key < past : key - capacity <= query;
      bias[query * keys + key] = allowed ? 0 : -Infinity;
    }
  }
  return bias;
}

/** Each layer's keys and values of one sequence so far, [1, capacity, kv_head, d_head] after rotary, in host buffers. */
export class HostKeyValues {
  /** Real positions held. */
  length = 0;
  capacity = 0;
  readonly keys: Float32Array[];
  readonly values: Float32Array[];

  /** @param rowSize kv_head × d_head, the values of one position. */
  constructor(layers: number, private readonly rowSize: number, private readonly nCtx: number) {
    this.keys = Array.from({ length: layers }, () => new Float32Array(0));
    this.values = Array.from({ length: layers }, () => new Float32Array(0));
  }

  /** Appends one step's keys and values ([1, positions, kv_head, d_head] per layer), growing the buffers as needed. */
  append(keys: readonly Float32Array[], values: readonly Float32Array[]): void {
    const positions = keys[0]!.length / this.rowSize;
    const total = this.length + positions;
    if (total > this.capacity) {
      this.capacity = keyValueCapacity(total, this.nCtx);
      const grow = (old: Float32Array) => {
        const buffer = new Float32Array(this.capacity * this.rowSize);
        buffer.set(old.subarray(0, this.length * this.rowSize));
        return buffer;
      };
      for (let layer = 0; layer < this.keys.length; layer++) {
        this.keys[layer] = grow(this.keys[layer]!);
        this.values[layer] = grow(this.values[layer]!);
      }
    }
    const at = this.length * this.rowSize;
    keys.forEach((step, layer) => this.keys[layer]!.set(step, at));
    values.forEach((step, layer) => this.values[layer]!.set(step, at));
    this.length = total;
  }
}
