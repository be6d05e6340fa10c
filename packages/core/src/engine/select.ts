import { ortAvailability, ortThreads } from './ort.ts';

export const ENGINE_NAMES = ['tfjs', 'onnx'] as const;
/** tfjs: eager tfjs ops on the chosen tfjs backend (gradients, training). onnx: ONNX Runtime's native CPU kernels. */
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Environment variable that picks the engine (an explicit option wins over it). */
export const ENGINE_ENV = 'HOOKLENS_ENGINE';

export class EngineError extends Error {
  override name = 'EngineError';
}

/** Which engine runs forward passes, and why onnx is not used when it is not. */
export interface EngineChoice {
  name: EngineName;
  /** e.g. `onnx (CPU, 2 threads)`; `tfjs` when tfjs runs (its backend is told apart by the backend line). */
  description: string;
  /** One line on why onnx is unavailable, when it is. */
  onnxUnavailable?: string;
}

/**
 * `preferred`, else $HOOKLENS_ENGINE, else tfjs (onnx becomes the default once it passes the
 * whole suite). Asking for onnx where onnxruntime-node does not load is an error naming why.
 */
export function chooseEngine(preferred?: string): EngineChoice {
  const fromEnv = typeof process === 'undefined' ? undefined : process.env[ENGINE_ENV]?.trim();
  const requested = preferred ?? (fromEnv || undefined);
  const source = preferred !== undefined ? 'engine' : ENGINE_ENV;
  let name: EngineName = 'tfjs';
  if (requested !== undefined) {
    const lower = requested.toLowerCase();
    if (!(ENGINE_NAMES as readonly string[]).includes(lower)) throw new EngineError(`${source}: unknown engine '${requested}'; valid engines: ${ENGINE_NAMES.join(', ')}`);
    name = lower as EngineName;
  }
  const onnx = ortAvailability();
  if (name === 'onnx') {
    if (!onnx.available) throw new EngineError(`engine 'onnx' is unavailable: ${onnx.reason}`);
    return { name, description: onnxDescription() };
  }
  return { name, description: 'tfjs', onnxUnavailable: onnx.available ? undefined : onnx.reason };
}

export function onnxDescription(): string {
  const threads = ortThreads();
  return `onnx (CPU, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * The status line's engine part: `onnx (CPU, 2 threads)` on the onnx engine; on tfjs its
 * backend's description, followed by why onnx is unavailable when it is.
 */
export function engineLine(engine: EngineChoice, tfjsBackend: string): string {
  if (engine.name === 'onnx') return engine.description;
  return engine.onnxUnavailable ? `${tfjsBackend} (onnx engine unavailable: ${engine.onnxUnavailable})` : tfjsBackend;
}
