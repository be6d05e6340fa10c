/**
 * What every checkpoint loader shares: the result type, reading named tensors out of
 * (possibly sharded) safetensors files with errors that say where, config-field readers,
 * and the few re-layouts from checkpoint conventions to the canonical WeightMap.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, validateConfig, type ActivationFunction, type ModelConfig } from '../config.ts';
import { transpose2d, TransposedView, validateWeights, type HostTensor, type WeightMap } from '../weights.ts';
import { LoadError } from './errors.ts';
import { SafetensorsReader } from './safetensors.ts';

export type CheckpointFormat = 'huggingface-gpt2' | 'huggingface-llama' | 'huggingface-qwen3' | 'huggingface-olmo2' | 'huggingface-gptneox' | 'huggingface-phi3' | 'huggingface-gemma2' | 'huggingface-gemma3' | 'llama2c' | 'hooklens';

export interface LoadedCheckpoint {
  config: ModelConfig;
  weights: WeightMap;
  format: CheckpointFormat;
  /** The file or directory the checkpoint was read from. */
  source: string;
  /** A tokenizer found beside it (tokenizer.json for HF/hooklens dirs; tokenizer.bin or tok*.bin beside a llama2.c .bin), if any. */
  tokenizerPath?: string;
}

/** How loaders proceed; every loader honours each field. */
export interface LoadCheckpointOptions {
  /** Called with the config once it is read, before any weight is: may throw to stop the load (e.g. too big for memory). */
  checkConfig?: (config: ModelConfig) => void;
}

export const SAFETENSORS_FILE = 'model.safetensors';
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';

// ───────────────────────────── JSON and config fields ─────────────────────────────

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LoadError(`${path}: cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LoadError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads fields of a JSON config; every error names the field and the config file. */
export class ConfigFields {
  constructor(readonly raw: Record<string, unknown>, readonly path: string) {}

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  /** A required positive integer; with several names, the first one present is used. */
  int(...names: string[]): number {
    const name = names.find((n) => this.has(n));
    if (name === undefined) {
      throw new LoadError(`${this.path}: config is missing required field "${names.join('" (or "')}${names.length > 1 ? '")' : '"'}`);
    }
    return this.checkInt(name);
  }

  optionalInt(name: string, fallback: number): number {
    return this.has(name) ? this.checkInt(name) : fallback;
  }

  number(name: string, fallback: number): number {
    if (!this.has(name)) return fallback;
    const value = this.raw[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.bad(name, 'a number');
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const value = this.raw[name];
    if (typeof value !== 'boolean') throw this.bad(name, 'true or false');
    return value;
  }

  string(name: string, fallback: string): string {
    if (!this.has(name)) return fallback;
    const value = this.raw[name];
    if (typeof value !== 'string') throw this.bad(name, 'a string');
    return value;
  }

  /** A token id: a non-negative integer, or the first of a list (Llama 3 lists several EOS ids); absent → undefined. */
  tokenId(name: string): number | undefined {
    return this.tokenIds(name)?.[0];
  }

  /** Every id of a token-id field that may hold one id or a list; absent or empty → undefined. */
  tokenIds(name: string): number[] | undefined {
    if (!this.has(name)) return undefined;
    const raw = this.raw[name];
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (values.length === 0) return undefined;
    if (!values.every((value) => typeof value === 'number' && Number.isInteger(value) && value >= 0)) throw this.bad(name, 'a token id or a list of token ids');
    return values as number[];
  }

  private checkInt(name: string): number {
    const value = this.raw[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw this.bad(name, 'a positive integer');
    return value;
  }

  bad(name: string, what: string): LoadError {
    return new LoadError(`${this.path}: config field "${name}" must be ${what}, got ${JSON.stringify(this.raw[name])}`);
  }
}

const ACTIVATIONS: Record<string, ActivationFunction> = {
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new', // the same tanh approximation
  gelu_fast: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

export function activationFunction(fields: ConfigFields, name: string, fallback: string): ActivationFunction {
  const value = fields.string(name, fallback);
  const act = ACTIVATIONS[value];
  if (!act) throw new LoadError(`${fields.path}: config field "${name}" is "${value}"; supported: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return act;
}

/** validateConfig, with its ConfigError turned into a LoadError naming where the config came from. */
export function checkedConfig(config: ModelConfig, source: string): ModelConfig {
  try {
    return validateConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) throw new LoadError(`${source}: ${error.message}`);
    throw error;
  }
}

/** A tokenizer.json beside the weights, if any. */
export function tokenizerJsonIn(dir: string): string | undefined {
  const path = join(dir, 'tokenizer.json');
  return existsSync(path) && statSync(path).isFile() ? path : undefined;
}

// ───────────────────────────── tensors from safetensors files ─────────────────────────────

const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * Named tensors from a single `model.safetensors` or the shards of a
 * `model.safetensors.index.json`. Headers are read when a file is first needed (each once);
 * tensors are read one by one, so only what the loader asks for is decoded.
 */
export class TensorSource {
  private readers = new Map<string, SafetensorsReader>();

  private constructor(
    /** tensor name → file holding it */
    private readonly fileOf: Map<string, string>,
    /** where the tensors were looked for, for messages (the file or the index) */
    readonly location: string,
  ) {}

  /** Opens `dir/model.safetensors` if present, else `dir/model.safetensors.index.json`. */
  static fromDirectory(dir: string): TensorSource {
    const single = join(dir, SAFETENSORS_FILE);
    if (existsSync(single)) return TensorSource.fromFile(single);
    const index = join(dir, SAFETENSORS_INDEX_FILE);
    if (existsSync(index)) return TensorSource.fromIndex(index);
    throw new LoadError(`${dir}: no ${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX_FILE}`);
  }

  static fromFile(path: string): TensorSource {
    const reader = SafetensorsReader.open(path);
    const source = new TensorSource(new Map(reader.names().map((name) => [name, path])), path);
    source.readers.set(path, reader);
    return source;
  }

  static fromIndex(indexPath: string): TensorSource {
    const index = readJsonFile(indexPath);
    const weightMap = isObject(index) ? index.weight_map : undefined;
    if (!isObject(weightMap)) throw new LoadError(`${indexPath}: sharded index has no "weight_map" object`);
    const dir = dirname(indexPath);
    const fileOf = new Map<string, string>();
    for (const [name, file] of Object.entries(weightMap)) {
      if (typeof file !== 'string' || file.length === 0) throw new LoadError(`${indexPath}: weight_map entry for "${name}" is not a file name`);
      fileOf.set(name, join(dir, file));
    }
    return new TensorSource(fileOf, indexPath);
  }

  names(): string[] {
    return [...this.fileOf.keys()];
  }

  has(name: string): boolean {
    return this.fileOf.has(name);
  }

  /** Reads a tensor; a missing tensor or one of another shape is a LoadError naming it and the file. */
  get(name: string, expected?: readonly number[]): HostTensor {
    const file = this.fileOf.get(name);
    if (file === undefined) throw new LoadError(`${this.location}: missing tensor "${name}"`);
    const reader = this.reader(file);
    if (!reader.has(name)) throw new LoadError(`${file}: missing tensor "${name}" (listed in ${this.location})`);
    const shape = reader.entry(name)!.shape;
    if (expected && !sameShape(shape, expected)) {
      throw new LoadError(`${file}: tensor "${name}" has shape ${formatShape(shape)}, expected ${formatShape(expected)}`);
    }
    return reader.read(name);
  }

  /** The tensor if the checkpoint has it, else undefined (shape still checked). */
  optional(name: string, expected?: readonly number[]): HostTensor | undefined {
    return this.has(name) ? this.get(name, expected) : undefined;
  }

  close(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }

  private reader(file: string): SafetensorsReader {
    let reader = this.readers.get(file);
    if (!reader) {
      reader = SafetensorsReader.open(file);
      this.readers.set(file, reader);
    }
    return reader;
  }
}

/** Runs `body` with a source opened from `dir`, closing its files afterwards. */
export function withTensorSource<T>(dir: string, body: (source: TensorSource) => T): T {
  const source = TensorSource.fromDirectory(dir);
  try {
    return body(source);
  } finally {
    source.close();
  }
}

// ───────────────────────────── re-layouts ─────────────────────────────

/** The same values under another shape (shares the data). */
export function reshape(tensor: HostTensor, shape: number[]): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== tensor.data.length) throw new Error(`cannot reshape ${formatShape(tensor.shape)} to ${formatShape(shape)}`);
  return { shape, data: tensor.data };
}

/** `count` values from `start` of a flat tensor, as `shape` (a copy). */
export function sliceFlat(tensor: HostTensor, start: number, shape: number[]): HostTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { shape, data: tensor.data.slice(start, start + count) };
}

/**
 * Columns `[offset, offset + nHeads*dHead)` of a `[rows, cols]` matrix whose columns are
 * head-major (`h*dHead + j`), as `[nHeads, rows, dHead]`: out[h, r, j] = m[r, offset + h*dHead + j].
 * This is Conv1D / `[in, out]` storage (GPT-2's c_attn) split into per-head W_Q/W_K/W_V.
 */
export function columnsToHeads(matrix: HostTensor, nHeads: number, dHead: number, offset = 0): HostTensor {
  const [rows, cols] = matrix.shape;
  const out = new Float32Array(nHeads * rows * dHead);
  for (let h = 0; h < nHeads; h++) {
    for (let r = 0; r < rows; r++) {
      const from = r * cols + offset + h * dHead;
      out.set(matrix.data.subarray(from, from + dHead), (h * rows + r) * dHead);
    }
  }
  return { shape: [nHeads, rows, dHead], data: out };
}

/**
 * An nn.Linear weight `[nHeads*dHead, in]` (stored `[out, in]`) as `[nHeads, in, dHead]`:
 * out[h, i, j] = w[h*dHead + j, i]. Llama's q/k/v_proj and llama2.c's wq/wk/wv.
 */
export function linearToHeads(weight: HostTensor, nHeads: number, dHead: number): HostTensor {
  return columnsToHeads(transpose2d(weight), nHeads, dHead);
}

/**
 * An nn.Linear output projection `[out, nHeads*dHead]` (stored `[out, in]`) as W_O
 * `[nHeads, dHead, out]`: W_O[h, j, o] = w[o, h*dHead + j]. Llama's o_proj, llama2.c's wo.
 */
export function linearToHeadsOut(weight: HostTensor, nHeads: number, dHead: number): HostTensor {
  const [outDim] = weight.shape;
  return reshape(transpose2d(weight), [nHeads, dHead, outDim]);
}

// ───────────────────────────── the canonical map ─────────────────────────────

/** Checks a WeightMap against its config (see weightSpecs), naming the first bad weight. */
export function checkWeights(config: ModelConfig, weights: WeightMap, source: string): void {
  try {
    validateWeights(config, weights, source);
  } catch (error) {
    throw new LoadError((error as Error).message);
  }
}

/** W_U for a tied checkpoint: W_E transposed, as a view whose values are made only if read (see TransposedView). */
export function tiedUnembed(embed: HostTensor): HostTensor {
  return new TransposedView(embed);
}
