import { ortAvailability, ortProvider, ortThreads } from './ort.ts';

export const ENGINE_NAMES = ['tfjs', 'onnx'] as const;
/** onnx: ONNX Runtime's native kernels (CPU, or CUDA where installed); the default in Node. tfjs: eager tfjs ops on the chosen tfjs backend (gradients, training; the fallback). */
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Environment variable that picks the engine (an explicit option wins over it). */
export const ENGINE_ENV = 'HOOKLENS_ENGINE';

export class EngineError extends Error {
  override name = 'EngineError';
}

/** Which engine runs forward passes, and why onnx is not used when it is not. */
export interface EngineChoice {
  name: EngineName;
  /** e.g. `onnx (CPU, 2 threads)` or `onnx (CUDA)`; `tfjs` when tfjs runs (its backend is told apart by the backend line). */
  description: string;
  /** One line on why onnx is unavailable, when it is. */
  onnxUnavailable?: string;
  /** On onnx: one line on why its installed CUDA provider is not used. */
  cudaUnavailable?: string;
}

/**
 * `preferred`, else $HOOKLENS_ENGINE, else onnx where onnxruntime-node loads and tfjs where it
 * does not. Asking for onnx where onnxruntime-node does not load is an error naming why.
 */
export function chooseEngine(preferred?: string): EngineChoice {
  const fromEnv = typeof process === 'undefined' ? undefined : process.env[ENGINE_ENV]?.trim();
  const requested = preferred ?? (fromEnv || undefined);
  const source = preferred !== undefined ? 'engine' : ENGINE_ENV;
  let name: EngineName | undefined;
  if (requested !== undefined) {
    const lower = requested.toLowerCase();
    if (!(ENGINE_NAMES as readonly string[]).includes(lower)) throw new EngineError(`${source}: unknown engine '${requested}'; valid engines: ${ENGINE_NAMES.join(', ')}`);
    name = lower as EngineName;
  }
  const onnx = ortAvailability();
  if (name === 'onnx' && !onnx.available) throw new EngineError(`engine 'onnx' is unavailable: ${onnx.reason}`);
  if (name === 'tfjs' || !onnx.available) return { name: 'tfjs', description: 'tfjs', onnxUnavailable: onnx.available ? undefined : onnx.reason };
  const { cudaUnavailable } = ortProvider();
  return { name: 'onnx', description: onnxDescription(), ...(cudaUnavailable !== undefined && { cudaUnavailable }) };
}

/** `onnx (CUDA)`, or `onnx (CPU, 2 threads)` with ONNX Runtime's intra-op threads. */
export function onnxDescription(): string {
  if (ortProvider().name === 'cuda') return 'onnx (CUDA)';
  const threads = ortThreads();
  return `onnx (CPU, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * The status line's engine part, one line: `onnx (CPU, 2 threads)` (plus why an installed CUDA
 * provider is not used), or `tfjs on ` the tfjs backend's description (plus why onnx is unavailable).
 */
export function engineLine(engine: EngineChoice, tfjsBackend: string): string {
  if (engine.name === 'onnx') return engine.cudaUnavailable ? `${engine.description}; CUDA unavailable: ${engine.cudaUnavailable}` : engine.description;
  const line = `tfjs on ${tfjsBackend}`;
  return engine.onnxUnavailable ? `${line}; onnx unavailable: ${engine.onnxUnavailable}` : line;
}
