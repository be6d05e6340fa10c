/**
 * `loadCheckpoint(path)`: works out what a path holds from its contents and loads it.
 *   - a directory with config.json and model.safetensors (or model.safetensors.index.json):
 *     hooklens when config.json says model_type "hooklens", else Hugging Face GPT-2 / Llama;
 *   - a .bin file with a plausible llama2.c header, or a directory holding exactly one;
 *   - anything else: a LoadError saying what was found and what is supported.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LoadError } from './errors.ts';
import { isObject, readJsonFile, SAFETENSORS_FILE, SAFETENSORS_INDEX_FILE, type LoadCheckpointOptions, type LoadedCheckpoint } from './checkpoint.ts';
import { describeArchitecture, huggingFaceArchitecture, loadHuggingFace, SUPPORTED_HF_ARCHITECTURES } from './huggingface.ts';
import { HOOKLENS_MODEL_TYPE, loadHooklens } from './hooklensFormat.ts';
import { loadLlama2c, readLlama2cHeader } from './llama2c.ts';

export const SUPPORTED_CHECKPOINTS =
  `supported: a Hugging Face directory (config.json + ${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX_FILE}) for ${SUPPORTED_HF_ARCHITECTURES}; `
  + `a hooklens directory (config.json with model_type "hooklens" + ${SAFETENSORS_FILE}); `
  + 'a llama2.c .bin checkpoint, or a directory holding exactly one';

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** At most a dozen names, for messages. */
function listing(names: string[]): string {
  if (names.length === 0) return 'an empty directory';
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown}, … (${names.length} entries)` : shown;
}

function loadDirectory(dir: string, options: LoadCheckpointOptions): LoadedCheckpoint {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    throw new LoadError(`${dir}: cannot list directory (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const configPath = join(dir, 'config.json');
  if (isFile(configPath)) {
    const hasWeights = isFile(join(dir, SAFETENSORS_FILE)) || isFile(join(dir, SAFETENSORS_INDEX_FILE));
    if (!hasWeights) {
      const others = names.filter((n) => /\.(bin|pt|pth|ckpt|h5|msgpack|gguf)$/.test(n));
      const hint = others.length ? ` (found ${others.join(', ')}; only safetensors weights are read — convert them with safetensors)` : '';
      throw new LoadError(`${dir}: has config.json but no ${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX_FILE}${hint}; found: ${listing(names)}`);
    }
    const raw = readJsonFile(configPath);
    if (!isObject(raw)) throw new LoadError(`${configPath}: config is not a JSON object`);
    if (raw.model_type === HOOKLENS_MODEL_TYPE) return loadHooklens(dir, raw, options);
    if (huggingFaceArchitecture(raw)) return loadHuggingFace(dir, raw, options);
    throw new LoadError(`${configPath}: unknown architecture (${describeArchitecture(raw)}); ${SUPPORTED_CHECKPOINTS}`);
  }
  const bins = names.filter((n) => n.endsWith('.bin') && isFile(join(dir, n)));
  const checkpoints = bins.filter((n) => 'header' in readLlama2cHeader(join(dir, n)));
  if (checkpoints.length === 1) return loadLlama2c(join(dir, checkpoints[0]), options);
  if (checkpoints.length > 1) {
    throw new LoadError(`${dir}: holds ${checkpoints.length} llama2.c checkpoints (${checkpoints.join(', ')}); pass the one to load`);
  }
  const what = names.includes(SAFETENSORS_FILE) || names.includes(SAFETENSORS_INDEX_FILE)
    ? `safetensors weights but no config.json; found: ${listing(names)}`
    : `no checkpoint; found: ${listing(names)}`;
  throw new LoadError(`${dir}: ${what}; ${SUPPORTED_CHECKPOINTS}`);
}

function loadFile(path: string, options: LoadCheckpointOptions): LoadedCheckpoint {
  const name = basename(path);
  // A file inside a checkpoint directory stands for the directory.
  if (name === 'config.json' || name === SAFETENSORS_FILE || name === SAFETENSORS_INDEX_FILE) return loadDirectory(dirname(path), options);
  const header = readLlama2cHeader(path);
  if ('header' in header) return loadLlama2c(path, options);
  const what = name.endsWith('.bin') ? `a .bin file that is not a llama2.c checkpoint (${header.reason})` : 'a file of no supported kind';
  throw new LoadError(`${path}: ${what}; ${SUPPORTED_CHECKPOINTS}`);
}

/** Loads whatever checkpoint `path` holds; throws a LoadError naming what it found otherwise. */
export function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  if (!existsSync(path)) throw new LoadError(`${path}: no such file or directory; ${SUPPORTED_CHECKPOINTS}`);
  const stats = statSync(path);
  if (stats.isDirectory()) return loadDirectory(path, options);
  if (stats.isFile()) return loadFile(path, options);
  throw new LoadError(`${path}: neither a file nor a directory`);
}
