/** Decoding of the floating-point storage types checkpoints use, into float32. */

export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * Each decoder widens `bytes` into `out` from element `at` (by default a new array of just
 * those values), so a large tensor can be decoded chunk by chunk into its one float32 array.
 */
export function decodeF16(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.byteLength / 2), at = 0): Float32Array {
  const words = uint16Words(bytes);
  for (let i = 0; i < words.length; i++) out[at + i] = float16ToFloat32(words[i]!);
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a shift. */
export function decodeBF16(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.byteLength / 2), at = 0): Float32Array {
  const words = uint16Words(bytes);
  const bits = new Uint32Array(out.buffer, out.byteOffset + at * 4, words.length);
  for (let i = 0; i < words.length; i++) bits[i] = words[i]! << 16;
  return out;
}

export function decodeF32(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.byteLength / 4), at = 0): Float32Array {
  // Copy: the source may be unaligned and we hand out an owned array.
  new Uint8Array(out.buffer, out.byteOffset + at * 4, bytes.byteLength).set(bytes);
  return out;
}

export function decodeF64(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.byteLength / 8), at = 0): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / 8;
  for (let i = 0; i < count; i++) out[at + i] = view.getFloat64(i * 8, true);
  return out;
}

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Little-endian 16-bit words: a view when aligned on a little-endian machine, else a copy. */
function uint16Words(bytes: Uint8Array): Uint16Array {
  const count = bytes.byteLength >> 1;
  if (littleEndian && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint16Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true));
}

/** Rounds float32 values to bfloat16 (round to nearest even) and returns the raw 16-bit words. */
export function encodeBF16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const word = bits[i];
    // NaN: keep it a (quiet) NaN; rounding could carry its mantissa into Infinity.
    if ((word & 0x7fffffff) > 0x7f800000) { out[i] = ((word >>> 16) | 0x0040) & 0xffff; continue; }
    const rounded = word + 0x7fff + ((word >> 16) & 1);
    out[i] = (rounded >>> 16) & 0xffff;
  }
  return out;
}
