import { backendInfo } from '@hooklens/core';
import type { HookedTransformer, HookName } from '@hooklens/core';
import { CliError } from './errors.ts';

/** WebAssembly memory is 32-bit: weights, activations and scratch space must share 4 GiB. */
const WASM_MEMORY_BYTES = 4 * 2 ** 30;
/** Room left for the forward pass's intermediate tensors. */
const WASM_HEADROOM = 0.85;

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/**
 * Refuses, before running, a cache that cannot fit in the wasm backend's memory, with the way
 * out; otherwise the run would die deep inside tfjs with an opaque out-of-memory abort.
 */
export function checkCacheFits(model: HookedTransformer, rows: number[][], names: string[]): void {
  const [batch, positions] = [rows.length, rows[0].length];
  // Too-long rows get the model's own n_ctx error, which says more. The onnx engine keeps weights
  // and caches in JavaScript memory, outside the wasm heap (loadModel checked the weights fit).
  if (backendInfo()?.name !== 'wasm' || model.engine.name === 'onnx' || positions > model.config.nCtx) return;
  const { activations: cache, logits } = model.estimateCacheBytes([batch, positions], names as HookName[]);
  // From the parameter count: asking for parameter tensors would put every weight on the heap being measured.
  const weights = 4 * model.numParams();
  if (weights + cache + logits > WASM_MEMORY_BYTES * WASM_HEADROOM) {
    throw new CliError(
      `caching ${names.length} activations of ${batch}×${positions} tokens needs about ${gib(cache + logits)} on top of ` +
        `${gib(weights)} of weights, more than the wasm backend's 4 GiB; select fewer hooks with --names, ` +
        'use fewer or shorter rows, or install @tensorflow/tfjs-node',
    );
  }
}
