/**
 * The operations the transformer's components are written against, once, for every engine:
 * `TfjsOps` runs them eagerly on tfjs tensors (with gradients, for training), `OnnxOps`
 * traces them into an ONNX graph. Shapes follow tfjs / numpy broadcasting.
 */
export interface Ops<T> {
  shape(x: T): readonly number[];
  /** Batched matmul over the last two axes, broadcasting the leading ones. */
  matMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  add(a: T, b: T | number): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T): T;
  pow(x: T, exponent: number): T;
  square(x: T): T;
  sqrt(x: T): T;
  tanh(x: T): T;
  erf(x: T): T;
  sigmoid(x: T): T;
  relu(x: T): T;
  mean(x: T, axis: number, keepDims: boolean): T;
  sum(x: T, axis: number): T;
  /** Softmax over the last axis. */
  softmax(x: T): T;
  /** NaN entries (softmax rows with nothing to attend to) become 0. */
  nanToZero(x: T): T;
  reshape(x: T, shape: readonly number[]): T;
  transpose(x: T, perm: readonly number[]): T;
  concat(xs: readonly T[], axis: number): T;
  /** Into pieces of the given sizes, or into that many equal pieces. */
  split(x: T, sizes: readonly number[] | number, axis: number): T[];
  stack(xs: readonly T[], axis: number): T;
  squeeze(x: T, axis: number): T;
  expandDims(x: T, axis: number): T;
  /** Rows of a 2-D table by integer ids of any shape: ids.shape + [columns]. */
  lookupRows(table: T, ids: T): T;
  /** Entries at `indices` (an int tensor) along `axis`. */
  gather(x: T, indices: T, axis: number): T;
}

/**
 * Where components hand each activation to the hooks: the tfjs engine calls the hook
 * functions there; the onnx engine turns a read point into a graph output and an edited
 * point into a cut between two graph segments.
 */
export interface HookContext<T> {
  /** Whether anyone listens at `name`; lets optional activations (hook_result) be skipped. */
  wants(name: string): boolean;
  hook(name: string, value: T): T;
}

/** A context with no hooks: for computations outside a forward pass (a tool's readout). */
export function silentContext<T>(): HookContext<T> {
  return { wants: () => false, hook: (_name, value) => value };
}
