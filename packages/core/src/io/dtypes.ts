/** Decoding of the floating-point storage types checkpoints use, into float32. */

export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function decodeF16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a shift. */
export function decodeBF16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = new Uint32Array(bytes.byteLength / 2);
  for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  return new Float32Array(bits.buffer);
}

export function decodeF32(bytes: Uint8Array): Float32Array {
  // Copy: the source may be unaligned and we hand out an owned array.
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function decodeF64(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
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
