/**
 * Float64 pieces the GPT-NeoX and Phi-3 references share, written from transformers'
 * modelling code (modeling_gpt_neox.py, modeling_phi3.py) in plain loops: nn.Linear over
 * the stored [out, in] array, partial rotary with rotate_half over the rotary dims, eager
 * causal attention with repeat_kv, and erf for the exact GELU. Nothing from packages/core.
 */
import type { RefTensor } from '../fixtures/checkpoints.ts';
import type { RefLinear } from './weights64.ts';

/** nn.Linear stored [out, in] (row-major), with an optional bias [out]. */
export function linearOf(weight: RefTensor, bias?: RefTensor, rowOffset = 0, rows = weight.shape[0]): RefLinear {
  const nIn = weight.shape[1];
  return {
    nIn,
    nOut: rows,
    weight: (i, o) => weight.data[(rowOffset + o) * nIn + i],
    ...(bias && { bias: (o: number) => bias.data[rowOffset + o] }),
  };
}

/**
 * erf in float64, an independent stand-in for torch.erf: the Maclaurin series below |x| = 2.5
 * (summed until the terms vanish), above it 1 − erfc with erfc's continued fraction
 * e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), where the series would cancel badly.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 2.5) {
    let fraction = a;
    for (let n = 80; n >= 1; n--) fraction = a + n / 2 / fraction;
    return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * fraction));
  }
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** transformers' "gelu": x · Φ(x) with the exact erf. */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/**
 * apply_rotary_pos_emb with a partial rotary: the first `rotaryDim` dims of each head turn
 * (rotate_half pairs i and i + rotaryDim/2 at frequency base^(-2i/rotaryDim)), the rest pass
 * through. x is [rows, heads, dHead]; positions has one entry per row.
 */
export function partialRotary(x: Float64Array, positions: number[], heads: number, dHead: number, rotaryDim: number, base: number): Float64Array {
  const out = Float64Array.from(x);
  const half = rotaryDim / 2;
  for (let r = 0; r < positions.length; r++) {
    for (let h = 0; h < heads; h++) {
      const at = (r * heads + h) * dHead;
      for (let i = 0; i < half; i++) {
        const angle = positions[r] / base ** ((2 * i) / rotaryDim);
        const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
        out[at + i] = x[at + i] * cos - x[at + i + half] * sin;
        out[at + i + half] = x[at + i + half] * cos + x[at + i] * sin;
      }
    }
  }
  return out;
}

export interface AttentionShape {
  batch: number;
  positions: number;
  heads: number;
  kvHeads: number;
  dHead: number;
}

/**
 * Eager causal attention with a padding mask (1 real / 0 pad per key) and repeat_kv (query
 * head h reads key/value head ⌊h / (heads / kvHeads)⌋). q [B·P, heads, dHead], k and v
 * [B·P, kvHeads, dHead]. Masked scores are -Infinity; a query row with no key left (a pad
 * before any real token) gets an all-zero pattern, as TransformerLens gives it.
 */
export function causalAttention(q: Float64Array, k: Float64Array, v: Float64Array, s: AttentionShape, mask?: number[][]): { scores: Float64Array; pattern: Float64Array; z: Float64Array } {
  const { batch: B, positions: P, heads: H, kvHeads: KV, dHead: D } = s;
  const group = H / KV;
  const scores = new Float64Array(B * H * P * P);
  const pattern = new Float64Array(B * H * P * P);
  const z = new Float64Array(B * P * H * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < P; i++) {
        const row = ((b * H + h) * P + i) * P;
        let max = -Infinity;
        for (let j = 0; j < P; j++) {
          let score = -Infinity;
          if (j <= i && (!mask || mask[b][j] !== 0)) {
            score = 0;
            for (let e = 0; e < D; e++) score += q[((b * P + i) * H + h) * D + e] * k[((b * P + j) * KV + kvh) * D + e];
            score /= Math.sqrt(D);
          }
          scores[row + j] = score;
          max = Math.max(max, score);
        }
        if (max === -Infinity) continue;
        let total = 0;
        for (let j = 0; j < P; j++) total += Math.exp(scores[row + j] - max);
        for (let j = 0; j < P; j++) pattern[row + j] = Math.exp(scores[row + j] - max) / total;
        for (let e = 0; e < D; e++) {
          let sum = 0;
          for (let j = 0; j < P; j++) sum += pattern[row + j] * v[((b * P + j) * KV + kvh) * D + e];
          z[((b * P + i) * H + h) * D + e] = sum;
        }
      }
    }
  }
  return { scores, pattern, z };
}

/** o_proj / dense per head: result [rows, heads, dModel] and its sum plus the bias, attn_out [rows, dModel]. */
export function headResults(z: Float64Array, rows: number, heads: number, dHead: number, o: RefLinear): { result: Float64Array; out: Float64Array } {
  const d = o.nOut;
  const result = new Float64Array(rows * heads * d);
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < heads; h++) {
      for (let c = 0; c < d; c++) {
        let sum = 0;
        for (let e = 0; e < dHead; e++) sum += z[(r * heads + h) * dHead + e] * o.weight(h * dHead + e, c);
        result[(r * heads + h) * d + c] = sum;
        out[r * d + c] += sum;
      }
    }
    if (o.bias) for (let c = 0; c < d; c++) out[r * d + c] += o.bias(c);
  }
  return { result, out };
}
