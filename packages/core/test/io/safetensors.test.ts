import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBF16, decodeF16, encodeBF16, float16ToFloat32 } from '../../src/io/dtypes.ts';
import { parseSafetensors, readSafetensors, SafetensorsReader, writeSafetensors } from '../../src/io/safetensors.ts';
import { expectLoadError, tempDir } from './helpers.ts';

/** A safetensors file from a raw header object and data bytes. */
function rawSafetensors(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32 exactly, with metadata and several shapes', () => {
    const path = join(tempDir(), 'a.safetensors');
    const a = { shape: [2, 3], data: new Float32Array([1.5, -2, 3.25, 1e-30, 3.4e38, -0]) };
    const b = { shape: [4], data: new Float32Array([Math.PI, Math.E, -1 / 3, 7]) };
    const scalar = { shape: [] as number[], data: new Float32Array([42]) };
    writeSafetensors(path, { a, b, scalar }, { metadata: { format: 'pt' } });
    const file = readSafetensors(path);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.tensors.get('a')).toEqual(a);
    expect(file.tensors.get('b')).toEqual(b);
    expect(file.tensors.get('scalar')).toEqual(scalar);
    expect(file.dtypes.get('a')).toBe('F32');
    // The data section starts 8-byte aligned.
    const bytes = readFileSync(path);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    // No temporary file left behind.
    expect(readdirSync(join(path, '..'))).toEqual(['a.safetensors']);
  });

  it('round-trips BF16: exact for representable values, round-to-nearest-even otherwise', () => {
    const path = join(tempDir(), 'b.safetensors');
    const exact = new Float32Array([1, -2.5, 0.15625, 65536, -0, Infinity]);
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: rounds to even (1). 1 + 3*2^-8 rounds up to 1 + 2^-6.
    const rounding = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -9]);
    writeSafetensors(path, { exact: { shape: [6], data: exact }, rounding: { shape: [3], data: rounding } }, { dtype: 'BF16' });
    const file = readSafetensors(path);
    expect(file.dtypes.get('exact')).toBe('BF16');
    expect(Array.from(file.tensors.get('exact')!.data)).toEqual(Array.from(exact));
    expect(Array.from(file.tensors.get('rounding')!.data)).toEqual([1, 1 + 2 ** -6, 1]);
  });

  it('keeps NaN a NaN when encoding bfloat16', () => {
    const nan = new Float32Array(new Uint32Array([0x7f800001, 0xff800001, 0x7fc00000]).buffer);
    const decoded = decodeBF16(new Uint8Array(encodeBF16(nan).buffer));
    for (const value of decoded) expect(Number.isNaN(value)).toBe(true);
  });

  it('decodes F16 (normal, subnormal, zero, infinities, NaN)', () => {
    const words = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555];
    const expected = [1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, NaN, 0.333251953125];
    expect(words.map(float16ToFloat32)).toEqual(expected);
    const data = new Uint8Array(new Uint16Array(words).buffer);
    const bytes = rawSafetensors({ h: { dtype: 'F16', shape: [words.length], data_offsets: [0, data.byteLength] } }, data);
    const file = parseSafetensors(bytes);
    expect(file.dtypes.get('h')).toBe('F16');
    expect(Array.from(file.tensors.get('h')!.data)).toEqual(expected);
    expect(Array.from(decodeF16(data))).toEqual(expected);
  });

  it('widens every float dtype chunk by chunk into one array, whatever the chunk size', () => {
    // Hand-picked values exact in each storage type, with the raw words written out by hand.
    const expected = [1, -2, 0.5, 3.75, -0.15625, 96, 0, -1.5, 2 ** -10];
    const bf16 = [0x3f80, 0xc000, 0x3f00, 0x4070, 0xbe20, 0x42c0, 0x0000, 0xbfc0, 0x3a80];
    const f16 = [0x3c00, 0xc000, 0x3800, 0x4380, 0xb100, 0x5600, 0x0000, 0xbe00, 0x1400];
    const tensors: Record<string, { dtype: string; bytes: Uint8Array }> = {
      bf16: { dtype: 'BF16', bytes: new Uint8Array(Uint16Array.from(bf16).buffer) },
      f16: { dtype: 'F16', bytes: new Uint8Array(Uint16Array.from(f16).buffer) },
      f32: { dtype: 'F32', bytes: new Uint8Array(Float32Array.from(expected).buffer) },
      f64: { dtype: 'F64', bytes: new Uint8Array(Float64Array.from(expected).buffer) },
    };
    // An odd leading tensor leaves the others' data unaligned in the file.
    const header: Record<string, unknown> = { pad: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } };
    const parts: Uint8Array[] = [Uint8Array.of(0)];
    let offset = 1;
    for (const [name, { dtype, bytes }] of Object.entries(tensors)) {
      header[name] = { dtype, shape: [3, 3], data_offsets: [offset, offset + bytes.byteLength] };
      parts.push(bytes);
      offset += bytes.byteLength;
    }
    const data = new Uint8Array(offset);
    let at = 0;
    for (const part of parts) { data.set(part, at); at += part.byteLength; }
    const path = join(tempDir(), 'chunks.safetensors');
    writeFileSync(path, rawSafetensors(header, data));
    const reader = SafetensorsReader.open(path);
    try {
      for (const name of Object.keys(tensors)) {
        for (const chunkBytes of [1, 6, 16, 1 << 20]) {
          const tensor = reader.read(name, chunkBytes);
          expect(tensor.shape).toEqual([3, 3]);
          expect(Array.from(tensor.data), `${name} in chunks of ${chunkBytes} bytes`).toEqual(expected);
        }
      }
      expectLoadError(() => reader.read('pad', 4), 'pad', 'U8');
    } finally {
      reader.close();
    }
  });

  it('reads tensors one at a time, and only the ones a filter passes', () => {
    const path = join(tempDir(), 'c.safetensors');
    writeSafetensors(path, { keep: { shape: [2], data: new Float32Array([1, 2]) }, skip: { shape: [1], data: new Float32Array([3]) } });
    expect([...readSafetensors(path, { filter: (n) => n === 'keep' }).tensors.keys()]).toEqual(['keep']);
    const reader = SafetensorsReader.open(path);
    try {
      expect(reader.names().sort()).toEqual(['keep', 'skip']);
      expect(reader.entry('keep')).toMatchObject({ dtype: 'F32', shape: [2] });
      expect(Array.from(reader.read('skip').data)).toEqual([3]);
      expectLoadError(() => reader.read('absent'), 'absent', path);
    } finally {
      reader.close();
    }
  });

  it('rejects a missing file, naming it', () => {
    const path = join(tempDir(), 'nope.safetensors');
    expectLoadError(() => readSafetensors(path), path, 'ENOENT');
  });

  it('rejects a truncated file, naming it', () => {
    const path = join(tempDir(), 't.safetensors');
    writeSafetensors(path, { w: { shape: [16], data: new Float32Array(16).fill(1) } });
    const full = readFileSync(path).byteLength;
    truncateSync(path, full - 4);
    expectLoadError(() => readSafetensors(path), path, 'truncated', '"w"');
    truncateSync(path, 20); // inside the header
    expectLoadError(() => readSafetensors(path), path, 'truncated');
    truncateSync(path, 3); // not even the length prefix
    expectLoadError(() => readSafetensors(path), path, 'truncated');
  });

  it('rejects bad headers', () => {
    const dir = tempDir();
    const cases: [string, Uint8Array, string][] = [
      ['json', rawSafetensors(null, new Uint8Array(0), '{not json'), 'not valid JSON'],
      ['array', rawSafetensors([1, 2], new Uint8Array(0)), 'not a JSON object'],
      ['null', rawSafetensors(null, new Uint8Array(0)), 'not a JSON object'],
      ['dtype', rawSafetensors({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'malformed'],
      ['negative', rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(4)), 'malformed'],
      ['size', rawSafetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), 'needs 8 bytes'],
      ['int', rawSafetensors({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), 'dtype I64'],
    ];
    for (const [name, bytes, fragment] of cases) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      expectLoadError(() => readSafetensors(path), path, fragment);
    }
    // A length prefix far beyond the file (e.g. a random binary file).
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
    expectLoadError(() => parseSafetensors(huge, 'huge'), 'huge', 'not a safetensors file');
  });
});
