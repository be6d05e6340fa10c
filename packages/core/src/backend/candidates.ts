import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from './errors.ts';

export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** The tfjs backend name: 'tensorflow' | 'wasm' | 'cpu'. */
  name: string;
  /** For people: e.g. "wasm (SIMD, 1 thread)" or "tensorflow (tfjs-node-gpu, CUDA)". */
  description: string;
}

/** The native bindings, fastest first. Both register a tfjs backend named 'tensorflow'. */
const NATIVE_PACKAGES = [
  { pkg: '@tensorflow/tfjs-node-gpu', device: 'CUDA' },
  { pkg: '@tensorflow/tfjs-node', device: 'CPU' },
] as const;

/**
 * Loads one native binding. Returns undefined when the package is not installed, or is
 * installed but cannot load (missing libtensorflow, missing CUDA); `reasons` collects why.
 */
async function tryNative(pkg: string, device: string, reasons: string[]): Promise<BackendInfo | undefined> {
  try {
    // A variable specifier keeps bundlers and tsc from insisting the optional package exists.
    await import(/* @vite-ignore */ pkg);
  } catch (error) {
    reasons.push(`${pkg}: ${importFailure(error)}`);
    return undefined;
  }
  // A binding built against another tfjs-core copy registers on that copy's engine, not ours.
  if (tf.findBackendFactory('tensorflow') === null) {
    reasons.push(`${pkg} is installed but registered with a different @tensorflow/tfjs-core than hooklens' ${tf.version_core}; install the ${tf.version_core} release`);
    return undefined;
  }
  if (!(await setBackendQuietly('tensorflow'))) {
    reasons.push(`${pkg}: the 'tensorflow' backend failed to initialise`);
    return undefined;
  }
  return { name: 'tensorflow', description: `tensorflow (${pkg.replace('@tensorflow/', '')}, ${device})` };
}

function importFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** tf.setBackend logs and returns false on failure; both outcomes become a boolean here. */
async function setBackendQuietly(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

export async function loadTensorflow(): Promise<BackendInfo> {
  const reasons: string[] = [];
  for (const { pkg, device } of NATIVE_PACKAGES) {
    const info = await tryNative(pkg, device, reasons);
    if (info) return info;
  }
  throw new BackendError(
    `backend 'tensorflow' needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node installed ` +
      `(e.g. pnpm --filter @hooklens/core add @tensorflow/tfjs-node@${tf.version_core}); ${reasons.join('; ')}`,
  );
}

/** Native bindings when present, else undefined: auto-detection falls through silently. */
export async function tryTensorflow(): Promise<BackendInfo | undefined> {
  for (const { pkg, device } of NATIVE_PACKAGES) {
    const info = await tryNative(pkg, device, []);
    if (info) return info;
  }
  return undefined;
}

export async function loadWasm(): Promise<BackendInfo> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new BackendError(`backend 'wasm': cannot load @tensorflow/tfjs-backend-wasm (${importFailure(error)})`);
  }
  // In Node the package finds its .wasm files beside its own dist/ script, so no setWasmPaths
  // is needed (checked in test/backend). Browsers serving the files elsewhere call setWasmPaths first.
  if (!(await setBackendQuietly('wasm'))) {
    throw new BackendError("backend 'wasm' failed to initialise (the .wasm binary could not be loaded)");
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  return { name: 'wasm', description: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})` };
}

export async function loadCpu(): Promise<BackendInfo> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (error) {
    throw new BackendError(`backend 'cpu': cannot load @tensorflow/tfjs-backend-cpu (${importFailure(error)})`);
  }
  if (!(await setBackendQuietly('cpu'))) throw new BackendError("backend 'cpu' failed to initialise");
  // The cpu backend prints a banner recommending tfjs-node on its first tensor; we already
  // chose it knowingly and report the choice ourselves, so keep stderr clean.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', description: 'cpu (plain JavaScript, slowest)' };
}

export const LOADERS: Record<BackendName, () => Promise<BackendInfo>> = {
  tensorflow: loadTensorflow,
  wasm: loadWasm,
  cpu: loadCpu,
};
