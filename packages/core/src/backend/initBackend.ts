import { BACKEND_NAMES, LOADERS, loadCpu, loadWasm, tryTensorflow } from './candidates.ts';
import type { BackendInfo, BackendName } from './candidates.ts';
import { BackendError } from './errors.ts';

/** Environment variable that forces a backend (an explicit `preferred` argument wins over it). */
export const BACKEND_ENV = 'HOOKLENS_BACKEND';

let chosen: { key: string; info: Promise<BackendInfo> } | undefined;
let ready: BackendInfo | undefined;

/**
 * Picks and initialises the tfjs backend once per process: `preferred`, else $HOOKLENS_BACKEND,
 * else the fastest available of tfjs-node-gpu → tfjs-node → wasm → cpu. Later calls with the
 * same (or no) preference return the same info; a different explicit preference switches.
 */
export function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  let forced: BackendName | undefined;
  try {
    forced = resolveForced(preferred);
  } catch (error) {
    return Promise.reject(error);
  }
  if (chosen && (forced === undefined || forced === chosen.key || forced === ready?.name)) return chosen.info;
  // Switching waits for any attempt in flight, so two setBackend calls never interleave.
  const previous = chosen?.info.catch(() => undefined);
  const info = Promise.resolve(previous).then(async (settled) => {
    const result = settled && settled.name === forced ? settled : await (forced ? LOADERS[forced]() : autoDetect());
    ready = result;
    return result;
  });
  chosen = { key: forced ?? 'auto', info };
  // A failed attempt must not poison later calls (e.g. retrying with another backend).
  info.catch(() => {
    if (chosen?.info === info) chosen = undefined;
  });
  return info;
}

/** The backend initBackend settled on, or undefined before it has finished. */
export function backendInfo(): BackendInfo | undefined {
  return ready;
}

function resolveForced(preferred: string | undefined): BackendName | undefined {
  if (preferred !== undefined) return checkName(preferred, 'initBackend');
  // Browsers have no process; there only `preferred` forces a backend.
  const fromEnv = typeof process === 'undefined' ? undefined : process.env[BACKEND_ENV]?.trim();
  if (fromEnv) return checkName(fromEnv, BACKEND_ENV);
  return undefined;
}

function checkName(value: string, source: string): BackendName {
  const name = value.toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendError(`${source}: unknown backend '${value}'; valid backends: ${BACKEND_NAMES.join(', ')}`);
}

async function autoDetect(): Promise<BackendInfo> {
  const native = await tryTensorflow();
  if ('name' in native) return native;
  const fallback = await loadWasm().catch(() => loadCpu());
  // A native binding that is installed but cannot load was expected to run: say why it did not.
  if (native.unusable === '') return fallback;
  return { ...fallback, description: `${fallback.description}; tensorflow unusable: ${native.unusable}` };
}
