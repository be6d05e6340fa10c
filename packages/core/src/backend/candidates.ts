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
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Why one native binding cannot be used; `installed` tells a broken install from an absent one. */
interface NativeFailure {
  installed: boolean;
  reason: string;
}

/**
 * Loads one native binding. Both are optional dependencies whose install script downloads
 * libtensorflow: where that download fails pnpm skips the package (not installed), and where
 * install scripts are turned off the package is there without its native addon (installed, unusable).
 */
async function tryNative(pkg: string): Promise<BackendInfo | NativeFailure> {
  const before = tensorflowRegistrations();
  try {
    // A variable specifier keeps bundlers and tsc from insisting the optional package exists.
    await import(/* @vite-ignore */ pkg);
  } catch (error) {
    forgetRegistrationsSince(before);
    return { installed: !isNotInstalled(error), reason: importFailure(error) };
  }
  // A binding built against another tfjs-core copy registers on that copy's engine, not ours.
  if (tf.findBackendFactory('tensorflow') === null) {
    return {
      installed: true,
      reason: `registered with a different @tensorflow/tfjs-core than hooklens' ${tf.version_core}; install the ${tf.version_core} release`,
    };
  }
  if (!(await setBackendQuietly('tensorflow'))) {
    forgetRegistrationsSince(before);
    return { installed: true, reason: "the 'tensorflow' backend failed to initialise" };
  }
  // tfjs-node-gpu runs on the CPU when it finds no usable CUDA device: name what it really uses.
  const onGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  return { name: 'tensorflow', description: `tensorflow (${pkg.replace('@tensorflow/', '')}, ${onGpu ? 'CUDA' : 'CPU'})` };
}

/** What is registered under the backend name 'tensorflow' now, so a failed binding's share can be undone. */
function tensorflowRegistrations(): { factory: boolean; kernels: Set<string> } {
  return {
    factory: tf.findBackendFactory('tensorflow') !== null,
    kernels: new Set(tf.getKernelsForBackend('tensorflow').map((kernel) => kernel.kernelName)),
  };
}

/**
 * A binding registers its kernels before it loads its native addon, so a failed load leaves
 * kernels for a 'tensorflow' backend that cannot run, and the next binding would print one
 * "already registered" warning per kernel (about 150 lines). Only this attempt's share goes:
 * a binding that loaded earlier keeps its registrations.
 */
function forgetRegistrationsSince(before: { factory: boolean; kernels: Set<string> }): void {
  if (!before.factory && tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
  for (const { kernelName } of tf.getKernelsForBackend('tensorflow')) {
    if (!before.kernels.has(kernelName)) tf.unregisterKernel(kernelName, 'tensorflow');
  }
}

/** Loaders that wrap a failed import (vitest's module mocker among them) keep the original as `cause`. */
function rootCause(error: unknown): unknown {
  return error instanceof Error && error.cause instanceof Error ? error.cause : error;
}

function isNotInstalled(error: unknown): boolean {
  const cause = rootCause(error);
  const code = (cause as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  // Vite's module runner (vitest, and so every test that starts a server in-process) words a missing package this way, with no code.
  return cause instanceof Error && /^Failed to load url \S+ \(resolved id: [^)]*\)\. Does the file exist\?/.test(cause.message);
}

function importFailure(error: unknown): string {
  if (isNotInstalled(error)) return 'not installed';
  const cause = rootCause(error);
  const message = cause instanceof Error ? cause.message : String(cause);
  // tfjs-node's own words for this case are a long path and an npm command that does not apply.
  if (/native addon module \(tfjs_binding\.node\) can not be found/.test(message)) {
    return 'installed without its native addon (its install script was skipped or could not download libtensorflow)';
  }
  return message.split('\n')[0];
}

/** tf.setBackend logs and returns false on failure; both outcomes become a boolean here. */
async function setBackendQuietly(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** "a, b: reason; c: other reason": both bindings usually fail the same way, said once. */
function describeFailures(failures: Map<string, NativeFailure>): string {
  const byReason = new Map<string, string[]>();
  for (const [pkg, { reason }] of failures) byReason.set(reason, [...(byReason.get(reason) ?? []), pkg]);
  return [...byReason].map(([reason, pkgs]) => `${pkgs.join(', ')}: ${reason}`).join('; ');
}

/** The first native binding that loads, else why each one could not. */
async function tryBindings(): Promise<BackendInfo | Map<string, NativeFailure>> {
  const failures = new Map<string, NativeFailure>();
  for (const pkg of NATIVE_PACKAGES) {
    const result = await tryNative(pkg);
    if ('name' in result) return result;
    failures.set(pkg, result);
  }
  return failures;
}

export async function loadTensorflow(): Promise<BackendInfo> {
  const failures = await tryBindings();
  if (!(failures instanceof Map)) return failures;
  throw new BackendError(
    `backend 'tensorflow' needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node installed with its libtensorflow ` +
      `(optional dependencies that pnpm install skips when it cannot download libtensorflow; retry with network access: ` +
      `pnpm install --force); ${describeFailures(failures)}`,
  );
}

/**
 * Auto-detection: the first native binding that loads, else why the installed ones could not
 * (empty when none is installed: an absent optional binding is not news).
 */
export async function tryTensorflow(): Promise<BackendInfo | { unusable: string }> {
  const failures = await tryBindings();
  if (!(failures instanceof Map)) return failures;
  return { unusable: describeFailures(new Map([...failures].filter(([, failure]) => failure.installed))) };
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
