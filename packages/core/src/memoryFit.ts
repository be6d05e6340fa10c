import type { ModelConfig } from './config.ts';
import type { EngineName } from './engine/select.ts';
import { LoadError } from './io/errors.ts';
import { weightSpecs } from './weights.ts';

/** WebAssembly memory is 32-bit: the wasm backend's weights and activations share 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Of which the weights may take this share, leaving the rest to a forward pass. */
const WASM_WEIGHT_SHARE = 0.85;
/** Beyond the weights: a forward pass, the tokenizer, the runtime itself. */
const WORKING_BYTES = 512 * 2 ** 20;

export interface ModelMemory {
  /** The weights as float32, each counted once as the checkpoint stores them. */
  weightBytes: number;
  /** What the process holds once the model is loaded on `engine`, weights and the engine's own copies. */
  residentBytes: number;
  /** What the active tfjs backend's heap must hold (tfjs engine only; 0 on onnx). */
  backendBytes: number;
}

/**
 * What a model of `config` takes in memory on `engine`, from its config alone (before a
 * byte of weights is read). Host weights are float32 whatever the checkpoint stores; a tied
 * unembedding is the embedding itself (a view, see TransposedView); the onnx engine adds each
 * layer's fused Q/K/V matrix, the tfjs engine a backend copy of every weight.
 */
export function modelMemory(config: ModelConfig, engine: EngineName): ModelMemory {
  let hostBytes = 0;
  // Optional tensors (biases) are left out: the config does not say which a checkpoint has, and they are small.
  for (const spec of weightSpecs(config).values()) if (!spec.optional) hostBytes += 4 * spec.shape.reduce((a, b) => a * b, 1);
  const unembedBytes = 4 * config.dModel * config.dVocab;
  const weightBytes = config.tiedEmbeddings ? hostBytes - unembedBytes : hostBytes;
  if (engine === 'onnx') {
    const fusedBytes = 4 * config.nLayers * config.dModel * (config.nHeads + 2 * config.nKvHeads) * config.dHead;
    return { weightBytes, residentBytes: weightBytes + fusedBytes, backendBytes: 0 };
  }
  return { weightBytes, residentBytes: 2 * weightBytes, backendBytes: weightBytes };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Refuses, before any weight is read, a model that cannot fit: the kernel would otherwise
 * kill the process part way through loading (or wasm would abort deep inside tfjs).
 * `availableBytes`: memory the process may still use; `wasm`: whether the tfjs backend is wasm.
 */
export function checkModelFits(config: ModelConfig, source: string, options: { engine: EngineName; wasm: boolean; availableBytes: number }): void {
  const { weightBytes, residentBytes, backendBytes } = modelMemory(config, options.engine);
  const what = `${source}: a model of ${(weightBytes / 4 / 1e9).toFixed(2)}B parameters (${gib(weightBytes)} as float32)`;
  if (options.engine === 'tfjs' && options.wasm && backendBytes > WASM_HEAP_BYTES * WASM_WEIGHT_SHARE) {
    throw new LoadError(`${what} needs ${gib(backendBytes)} of weights on the wasm backend, whose memory stops at 4 GiB; `
      + 'load it on the onnx engine (--engine onnx, HOOKLENS_ENGINE=onnx), whose weights stay outside the WebAssembly heap');
  }
  const needed = residentBytes + WORKING_BYTES;
  if (needed > options.availableBytes) {
    throw new LoadError(`${what} needs about ${gib(needed)} of memory on the ${options.engine} engine, but only ${gib(options.availableBytes)} is available; `
      + `free memory, use a machine with more${options.engine === 'tfjs' ? ', or load it on the onnx engine (about half as much)' : ''}, or load a smaller model`);
  }
}

type NodeProcess = { availableMemory?: () => number; constrainedMemory?: () => number };

/** Memory this process may still take: the system's available memory, within a container's limit. */
export async function availableMemoryBytes(): Promise<number> {
  const proc = process as unknown as NodeProcess;
  if (proc.availableMemory) return proc.availableMemory();
  const { freemem } = await import('node:os');
  return freemem();
}
