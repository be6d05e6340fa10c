import { ElemType, encodeModel } from './onnxProto.ts';

// Node built-ins are looked up at run time, not imported, so core still bundles for browsers (no onnx there).
type NodeBuiltins = {
  getBuiltinModule?: ((id: 'node:module') => typeof import('node:module')) & ((id: 'node:os') => typeof import('node:os'))
    & ((id: 'node:fs') => typeof import('node:fs')) & ((id: 'node:path') => typeof import('node:path'));
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
  /** onnxruntime-node's dist/ folder; its native libraries are in ../bin/napi-v6/<platform>/<arch>. */
  bindingDir: string;
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
    // The onnxruntime-common that onnxruntime-node itself loads: its env sets the binding's log level.
    const fromOrt = node.getBuiltinModule('node:module').createRequire(require.resolve('onnxruntime-node/package.json'));
    const common = fromOrt('onnxruntime-common') as { Tensor: Runtime['Tensor']; env: { logLevel?: string } };
    const { version } = require('onnxruntime-node/package.json') as { version: string };
    // Failures reach hooklens as exceptions with the same message; ORT's own stderr log would
    // only repeat them (and break the one-line backend notice, e.g. when the CUDA probe fails).
    common.env.logLevel = 'fatal';
    binding.initOrt();
    runtime = { Session: binding.binding.InferenceSession, Tensor: common.Tensor, version, bindingDir: node.getBuiltinModule('node:path').dirname(require.resolve('onnxruntime-node/dist/binding.js')) };
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

/** Where sessions run: ONNX Runtime's CPU kernels, or its CUDA provider where that is installed and a device answers. */
export interface OrtProvider {
  name: 'cpu' | 'cuda';
  /** Why CUDA is not used although its provider is installed, in one line. */
  cudaUnavailable?: string;
}

let provider: OrtProvider | undefined;

/** The provider every session uses, found once per process (see probeProvider). */
export function ortProvider(): OrtProvider {
  provider ??= probeProvider(cudaProviderInstalled());
  return provider;
}

/** Whether onnxruntime-node's install script fetched the CUDA provider library (it is not in the npm package). */
function cudaProviderInstalled(): boolean {
  const { bindingDir } = requireRuntime();
  const file = { linux: 'libonnxruntime_providers_cuda.so', win32: 'onnxruntime_providers_cuda.dll' }[process.platform as string];
  if (!file || process.arch !== 'x64') return false;
  const path = node!.getBuiltinModule!('node:path');
  return node!.getBuiltinModule!('node:fs').existsSync(path.join(bindingDir, '..', 'bin', 'napi-v6', process.platform, process.arch, file));
}

/**
 * CUDA when `cudaInstalled` and a session on the CUDA provider loads and runs (a device answers,
 * CUDA and cuDNN load); else CPU, with why not when CUDA was installed. Exported so a test can
 * ask for the probe on a machine whose provider library is absent.
 */
export function probeProvider(cudaInstalled: boolean): OrtProvider {
  if (!cudaInstalled) return { name: 'cpu' };
  const probe = encodeModel({
    name: 'cuda-probe',
    nodes: [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
    initializers: [],
    inputs: [{ name: 'x', type: ElemType.Float, dims: [1] }],
    outputs: [{ name: 'y', type: ElemType.Float, dims: [1] }],
  });
  let session: OrtSession | undefined;
  try {
    session = new OrtSession(probe, 1, 'cuda');
    const { y } = session.run({ x: ortTensor('float32', Float32Array.of(1), [1]) }, ['y']);
    if (y?.data[0] !== 2) throw new Error(`1 + 1 gave ${String(y?.data[0])}`);
    return { name: 'cuda' };
  } catch (error) {
    return { name: 'cpu', cudaUnavailable: (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim() };
  } finally {
    session?.dispose();
  }
}

export function ortTensor(type: 'float32' | 'int32' | 'bool', data: OrtTensor['data'], dims: readonly number[]): OrtTensor {
  return new (requireRuntime().Tensor)(type, data, dims);
}

/** One loaded ONNX model; `run` blocks until the outputs are ready. */
export class OrtSession {
  /** Sessions made and not yet disposed, in this process (for leak checks). */
  static live = 0;
  private session: BindingSession | undefined;

  constructor(model: Uint8Array, threads = ortThreads(), on: OrtProvider['name'] = ortProvider().name) {
    const { Session } = requireRuntime();
    const session = new Session();
    session.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Nodes CUDA has no kernel for fall back to CPU inside ONNX Runtime.
      executionProviders: [on],
      // Idle intra-op threads sleep instead of spinning: on a machine shared with other work (a
      // server's event loop, other processes) spinning threads take the cores the kernels need.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    this.session = session;
    OrtSession.live++;
  }

  run(feeds: Record<string, OrtTensor>, outputs: readonly string[]): Record<string, OrtTensor> {
    if (!this.session) throw new Error('onnx session used after dispose');
    const fetches: Record<string, null> = {};
    for (const name of outputs) fetches[name] = null;
    return this.session.run(feeds, fetches, {});
  }

  dispose(): void {
    if (!this.session) return;
    this.session.dispose();
    this.session = undefined;
    OrtSession.live--;
  }
}
