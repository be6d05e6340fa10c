// Node built-ins are looked up at run time, not imported, so core still bundles for browsers (no onnx there).
type NodeBuiltins = {
  getBuiltinModule?: ((id: 'node:module') => typeof import('node:module')) & ((id: 'node:os') => typeof import('node:os'));
};
const node = typeof process === 'undefined' ? undefined : (process as unknown as NodeBuiltins);

/**
 * onnxruntime-node's native binding, used directly: its InferenceSession runs synchronously
 * (the package's public API only wraps it in setImmediate), which keeps hooklens' forward
 * synchronous so hooks, tf.tidy and callers work unchanged on either engine.
 */

/** An onnxruntime-common Tensor as the binding reads and writes it. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
}

interface BindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}

interface Runtime {
  Session: new () => BindingSession;
  Tensor: new (type: string, data: OrtTensor['data'], dims: readonly number[]) => OrtTensor;
  version: string;
}

export interface OrtAvailability {
  available: boolean;
  /** Why not, in one line (absent when available). */
  reason?: string;
  version?: string;
}

let runtime: Runtime | undefined;
let availability: OrtAvailability | undefined;

function load(): OrtAvailability {
  if (availability) return availability;
  if (!node?.getBuiltinModule) {
    availability = { available: false, reason: 'the onnx engine needs Node.js 20.16 or later' };
    return availability;
  }
  try {
    const require = node.getBuiltinModule('node:module').createRequire(import.meta.url);
    const binding = require('onnxruntime-node/dist/binding.js') as {
      binding: { InferenceSession: new () => BindingSession };
      initOrt: () => void;
    };
    const common = require('onnxruntime-common') as { Tensor: Runtime['Tensor'] };
    const { version } = require('onnxruntime-node/package.json') as { version: string };
    binding.initOrt();
    runtime = { Session: binding.binding.InferenceSession, Tensor: common.Tensor, version };
    availability = { available: true, version };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    availability = {
      available: false,
      reason: code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
        ? 'onnxruntime-node is not installed'
        : `onnxruntime-node failed to load (${message})`,
    };
  }
  return availability;
}

/** Whether onnxruntime-node loads here, and why not. */
export function ortAvailability(): OrtAvailability {
  return load();
}

function requireRuntime(): Runtime {
  const state = load();
  if (!runtime) throw new Error(`the onnx engine is unavailable: ${state.reason}`);
  return runtime;
}

/** Intra-op threads: HOOKLENS_THREADS, else every core the process may use. */
export function ortThreads(): number {
  const fromEnv = Number(typeof process === 'undefined' ? undefined : process.env.HOOKLENS_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : (node?.getBuiltinModule?.('node:os').availableParallelism() ?? 1);
}

export function ortTensor(type: 'float32' | 'int32' | 'bool', data: OrtTensor['data'], dims: readonly number[]): OrtTensor {
  return new (requireRuntime().Tensor)(type, data, dims);
}

/** One loaded ONNX model; `run` blocks until the outputs are ready. */
export class OrtSession {
  private session: BindingSession | undefined;

  constructor(model: Uint8Array, threads = ortThreads()) {
    const { Session } = requireRuntime();
    const session = new Session();
    session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Idle intra-op threads sleep instead of spinning: on a machine shared with other work (a
      // server's event loop, other processes) spinning threads take the cores the kernels need.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    this.session = session;
  }

  run(feeds: Record<string, OrtTensor>, outputs: readonly string[]): Record<string, OrtTensor> {
    if (!this.session) throw new Error('onnx session used after dispose');
    const fetches: Record<string, null> = {};
    for (const name of outputs) fetches[name] = null;
    return this.session.run(feeds, fetches, {});
  }

  dispose(): void {
    this.session?.dispose();
    this.session = undefined;
  }
}
