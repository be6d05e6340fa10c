import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomicWrite.ts';
import { decodeBF16, decodeF16, decodeF32, decodeF64, encodeBF16 } from './dtypes.ts';
import { LoadError } from './errors.ts';
import type { HostTensor } from '../weights.ts';

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} }`, then the
 * raw little-endian data, offsets relative to the end of the header.
 */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

const BYTES_PER_ELEMENT: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One tensor's header entry, with offsets made absolute (from the start of the file). */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte range [begin, end) of the tensor's data in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

export interface SafetensorsFile {
  tensors: Map<string, HostTensor>;
  /** The storage dtype of each tensor before widening to float32. */
  dtypes: Map<string, string>;
  metadata: Record<string, string>;
}

export interface ReadSafetensorsOptions {
  /** Only tensors whose name passes are read and decoded (default: all). */
  filter?: (name: string) => boolean;
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Reads the 8-byte length prefix; `fileBytes` is the whole file's size. Returns the header's byte length. */
function headerLengthOf(prefix: Uint8Array, fileBytes: number, path: string): number {
  if (fileBytes < 8) throw new LoadError(`${path}: truncated safetensors file (${fileBytes} bytes, no header)`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES) || 8 + Number(headerLength) > fileBytes) {
    throw new LoadError(`${path}: not a safetensors file or truncated (header claims ${headerLength} bytes, file has ${fileBytes})`);
  }
  return Number(headerLength);
}

/** Parses and checks the JSON header; every entry is checked to lie inside the file with the size its shape needs. */
function parseHeader(json: Uint8Array, fileBytes: number, path: string): SafetensorsHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(json));
  } catch {
    throw new LoadError(`${path}: safetensors header is not valid JSON`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new LoadError(`${path}: safetensors header is not a JSON object`);
  }
  const dataStart = 8 + json.byteLength;
  const dataLength = fileBytes - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const elementBytes = typeof entry?.dtype === 'string' ? BYTES_PER_ELEMENT[entry.dtype] : undefined;
    const shape = entry?.shape;
    const offsets = entry?.data_offsets;
    if (!elementBytes || !Array.isArray(shape) || !shape.every(isCount)
      || !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw new LoadError(`${path}: tensor "${name}" has a malformed header entry`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end > dataLength || begin > end) {
      throw new LoadError(`${path}: tensor "${name}" lies beyond the end of the file (truncated? needs byte ${end}, data has ${dataLength})`);
    }
    if (end - begin !== count * elementBytes) {
      throw new LoadError(`${path}: tensor "${name}" of shape [${shape.join(', ')}] ${entry!.dtype} needs ${count * elementBytes} bytes, has ${end - begin}`);
    }
    entries.set(name, { dtype: entry!.dtype as string, shape: (shape as number[]).slice(), begin: dataStart + begin, end: dataStart + end });
  }
  return { path, entries, metadata };
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/** Widens `raw` into `out` from element `at` (a new array of its values by default). */
function decodeFloat(raw: Uint8Array, dtype: string, name: string, path: string, out?: Float32Array, at = 0): Float32Array {
  switch (dtype) {
    case 'F32': return decodeF32(raw, out, at);
    case 'F16': return decodeF16(raw, out, at);
    case 'BF16': return decodeBF16(raw, out, at);
    case 'F64': return decodeF64(raw, out, at);
    default: throw new LoadError(`${path}: tensor "${name}" has dtype ${dtype}; only F32, F16, BF16 and F64 weights are supported`);
  }
}

/** Fills `buffer` from `position`, or throws a LoadError naming the file. */
function readInto(fd: number, buffer: Uint8Array, position: number, path: string): Uint8Array {
  let done = 0;
  while (done < buffer.byteLength) {
    // readSync reads at most 2 GiB at a time.
    const n = readSync(fd, buffer, done, Math.min(buffer.byteLength - done, 0x40000000), position + done);
    if (n === 0) throw new LoadError(`${path}: truncated (needed bytes ${position}..${position + buffer.byteLength}, file ended at ${position + done})`);
    done += n;
  }
  return buffer;
}

/** Reads exactly `length` bytes at `position`, or throws a LoadError naming the file. */
export function readExactly(fd: number, position: number, length: number, path: string): Uint8Array {
  return readInto(fd, new Uint8Array(length), position, path);
}

/**
 * Raw bytes read per step when widening a tensor: a checkpoint's largest tensor (a 256k-token
 * embedding) is never held both as stored and as float32, only as float32 plus this much.
 */
export const READ_CHUNK_BYTES = 64 * 2 ** 20;

function openForReading(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    throw new LoadError(`${path}: cannot read safetensors file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/**
 * A safetensors file opened for reading tensor by tensor: only the header is read up front,
 * so a loader reads just the tensors it needs and files over 2 GiB work. Call `close()`.
 */
export class SafetensorsReader {
  private constructor(private fd: number | undefined, readonly header: SafetensorsHeader) {}

  static open(path: string): SafetensorsReader {
    const fd = openForReading(path);
    try {
      const fileBytes = fstatSync(fd).size;
      const headerLength = headerLengthOf(fileBytes >= 8 ? readExactly(fd, 0, 8, path) : new Uint8Array(8), fileBytes, path);
      const header = parseHeader(readExactly(fd, 8, headerLength, path), fileBytes, path);
      return new SafetensorsReader(fd, header);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get path(): string { return this.header.path; }
  get metadata(): Record<string, string> { return this.header.metadata; }
  names(): string[] { return [...this.header.entries.keys()]; }
  has(name: string): boolean { return this.header.entries.has(name); }
  /** Storage dtype and shape of a tensor, without reading it. */
  entry(name: string): SafetensorsEntry | undefined { return this.header.entries.get(name); }

  /** Reads one tensor, widened to float32, `chunkBytes` of the file at a time. */
  read(name: string, chunkBytes = READ_CHUNK_BYTES): HostTensor {
    const entry = this.header.entries.get(name);
    if (!entry) throw new LoadError(`${this.path}: no tensor "${name}"`);
    if (this.fd === undefined) throw new Error(`${this.path}: reader is closed`);
    if (!FLOAT_DTYPES.has(entry.dtype)) decodeFloat(new Uint8Array(0), entry.dtype, name, this.path);
    const width = BYTES_PER_ELEMENT[entry.dtype]!;
    const count = (entry.end - entry.begin) / width;
    const data = new Float32Array(count);
    const step = Math.max(1, Math.floor(chunkBytes / width));
    const buffer = new Uint8Array(Math.min(count, step) * width);
    for (let at = 0; at < count; at += step) {
      const raw = buffer.subarray(0, Math.min(step, count - at) * width);
      decodeFloat(readInto(this.fd, raw, entry.begin + at * width, this.path), entry.dtype, name, this.path, data, at);
    }
    return { shape: entry.shape.slice(), data };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function readSafetensors(path: string, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const reader = SafetensorsReader.open(path);
  try {
    const tensors = new Map<string, HostTensor>();
    const dtypes = new Map<string, string>();
    for (const [name, entry] of reader.header.entries) {
      if (options.filter && !options.filter(name)) continue;
      tensors.set(name, reader.read(name));
      dtypes.set(name, entry.dtype);
    }
    return { tensors, dtypes, metadata: reader.metadata };
  } finally {
    reader.close();
  }
}

export function parseSafetensors(bytes: Uint8Array, path = '<buffer>', options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const headerLength = headerLengthOf(bytes, bytes.byteLength, path);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength, path);
  const tensors = new Map<string, HostTensor>();
  const dtypes = new Map<string, string>();
  for (const [name, entry] of header.entries) {
    if (options.filter && !options.filter(name)) continue;
    tensors.set(name, { shape: entry.shape.slice(), data: decodeFloat(bytes.subarray(entry.begin, entry.end), entry.dtype, name, path) });
    dtypes.set(name, entry.dtype);
  }
  return { tensors, dtypes, metadata: header.metadata };
}

export interface WriteSafetensorsOptions {
  metadata?: Record<string, string>;
  /** Storage dtype for every tensor (default F32). */
  dtype?: 'F32' | 'BF16';
}

/** Writes float32 host tensors as a safetensors file, atomically (no half-written file on error). */
export function writeSafetensors(path: string, tensors: Map<string, HostTensor> | Record<string, HostTensor>, options: WriteSafetensorsOptions = {}): void {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const dtype = options.dtype ?? 'F32';
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor');
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) throw new Error(`tensor "${name}": shape [${tensor.shape.join(', ')}] does not match ${tensor.data.length} values`);
    const payload = dtype === 'BF16'
      ? new Uint8Array(encodeBF16(tensor.data).buffer)
      : new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + payload.byteLength] };
    payloads.push(payload);
    offset += payload.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The data section starts 8-byte aligned; the spec pads the header with spaces.
  const headerBytes = new Uint8Array(json.byteLength + ((8 - (json.byteLength % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  writeFileAtomic(path, [prefix, headerBytes, ...payloads]);
}

/** Size of a file, or a LoadError naming it. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    throw new LoadError(`${path}: file not found`);
  }
}
