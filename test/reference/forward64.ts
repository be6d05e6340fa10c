/**
 * An independent float64 forward pass with TransformerLens hook semantics, in plain
 * loops. It shares no code with packages/core: the point is to be wrong in different
 * ways from the model under test, so agreement means something.
 */
import type { Fixture, RefTensor } from '../fixtures/checkpoints.ts';
import { referenceModel, type RefLinear, type RefModel, type RefNorm } from './weights64.ts';

export interface ReferenceResult {
  logits: RefTensor;
  /** Every TransformerLens hook, in forward order. */
  hooks: Map<string, RefTensor>;
}

export interface ReferenceOptions {
  /** 1 = real token, 0 = padding; same shape as tokens. */
  attentionMask?: number[][];
}

/** x [rows, nIn] → [rows, nOut]. */
export function applyLinear(x: Float64Array, rows: number, lin: RefLinear): Float64Array {
  const out = new Float64Array(rows * lin.nOut);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < lin.nOut; o++) {
      let sum = lin.bias ? lin.bias(o) : 0;
      for (let i = 0; i < lin.nIn; i++) sum += x[r * lin.nIn + i] * lin.weight(i, o);
      out[r * lin.nOut + o] = sum;
    }
  }
  return out;
}

/** nn.Linear stored [out, in] (row-major), with an optional bias [out]; rows [rowOffset, rowOffset + rows) of a fused weight. */
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
 * TransformerLens 3 (components/layer_norm.py, rms_norm.py), where hook_normalized is
 * before the weight and bias for both kinds:
 * LayerNorm: centre, scale = sqrt(mean(x²) + eps), normalized = x/scale (hooked), output = normalized·w + b.
 * RMSNorm: scale = sqrt(mean(x²) + eps), normalized = x/scale (hooked), output = normalized·w.
 */
export function applyNorm(x: Float64Array, rows: number, d: number, norm: RefNorm): { scale: Float64Array; normalized: Float64Array; output: Float64Array } {
  const scale = new Float64Array(rows);
  const normalized = new Float64Array(rows * d);
  const output = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    let mean = 0;
    if (norm.kind === 'layernorm') {
      for (let i = 0; i < d; i++) mean += row[i];
      mean /= d;
    }
    let sq = 0;
    for (let i = 0; i < d; i++) sq += (row[i] - mean) ** 2;
    const s = Math.sqrt(sq / d + norm.eps);
    scale[r] = s;
    for (let i = 0; i < d; i++) {
      const n = (row[i] - mean) / s;
      normalized[r * d + i] = n;
      output[r * d + i] = n * norm.weight[i] + (norm.bias ? norm.bias[i] : 0);
    }
  }
  return { scale, normalized, output };
}

export function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/**
 * Rotates [rows, heads, dHead] vectors by position. `half` pairs (i, i + rotaryDim/2) as
 * Hugging Face's rotate_half does; `adjacent` pairs (2i, 2i + 1) as llama2.c does. Pair i turns
 * by pos · base^(-2i/rotaryDim) in both; a partial rotary (rotaryDim < dHead) passes the
 * remaining dims of each head through.
 */
export function applyRotary(x: Float64Array, positions: number[], heads: number, dHead: number, base: number, pairing: 'half' | 'adjacent', rotaryDim = dHead): Float64Array {
  const out = Float64Array.from(x);
  const half = rotaryDim / 2;
  for (let r = 0; r < positions.length; r++) {
    for (let h = 0; h < heads; h++) {
      const at = (r * heads + h) * dHead;
      for (let i = 0; i < half; i++) {
        const angle = positions[r] * base ** ((-2 * i) / rotaryDim);
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        const [a, b] = pairing === 'half' ? [at + i, at + i + half] : [at + 2 * i, at + 2 * i + 1];
        out[a] = x[a] * cos - x[b] * sin;
        out[b] = x[b] * cos + x[a] * sin;
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

export interface AttentionVariant {
  /** Sliding-window layers: a query sees only keys less than `window` positions back. */
  window?: number;
  /** Score from the raw q·k dot product; q·k / √dHead unless given (Gemma scales and soft-caps). */
  score?: (dot: number) => number;
}

/**
 * Eager causal attention with a padding mask (1 real / 0 pad per key) and repeat_kv (query
 * head h reads key/value head ⌊h / (heads / kvHeads)⌋). q [B·P, heads, dHead], k and v
 * [B·P, kvHeads, dHead]. Masked scores are -Infinity; a query row with no key left (a pad
 * before any real token) gets an all-zero pattern, as TransformerLens gives it (it replaces
 * the NaNs with 0).
 */
export function causalAttention(q: Float64Array, k: Float64Array, v: Float64Array, s: AttentionShape, mask?: number[][], variant: AttentionVariant = {}): { scores: Float64Array; pattern: Float64Array; z: Float64Array } {
  const { batch: B, positions: P, heads: H, kvHeads: KV, dHead: D } = s;
  const { window, score: toScore = (dot: number) => dot / Math.sqrt(D) } = variant;
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
          if (j <= i && (!mask || mask[b][j] !== 0) && (window === undefined || i - j < window)) {
            let dot = 0;
            for (let e = 0; e < D; e++) dot += q[((b * P + i) * H + h) * D + e] * k[((b * P + j) * KV + kvh) * D + e];
            score = toScore(dot);
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

/** Position ids: 0..p-1 without a mask; with one, (real tokens so far) − 1, clamped at 0, as TL does. */
export function positionIds(batch: number, length: number, mask?: number[][]): number[][] {
  return Array.from({ length: batch }, (_, b) => {
    let seen = 0;
    return Array.from({ length }, (_, p) => {
      if (!mask) return p;
      seen += mask[b][p] ? 1 : 0;
      return Math.max(0, seen - 1);
    });
  });
}

export function referenceForward(fixture: Fixture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  return forwardModel(referenceModel(fixture), tokens, options);
}

export function forwardModel(m: RefModel, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  const B = tokens.length;
  const P = tokens[0].length;
  if (tokens.some((row) => row.length !== P)) throw new Error('reference: ragged token batch');
  const mask = options.attentionMask;
  const d = m.dModel;
  const { nHeads, nKvHeads, dHead } = m;
  const N = B * P;
  const hooks = new Map<string, RefTensor>();
  const hook = (name: string, shape: number[], data: Float64Array) => hooks.set(name, { shape, data: Float64Array.from(data) });
  const ids = positionIds(B, P, mask);
  const flatPositions = ids.flat();
  const isReal = (b: number, p: number) => (mask ? mask[b][p] !== 0 : true);

  const embed = new Float64Array(N * d);
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      const t = tokens[b][p];
      if (!(t >= 0 && t < m.vocab)) throw new Error(`reference: token ${t} out of range`);
      embed.set(m.embed.subarray(t * d, (t + 1) * d), (b * P + p) * d);
    }
  }
  hook('hook_embed', [B, P, d], embed);
  let resid = Float64Array.from(embed);
  if (m.pos) {
    const pos = new Float64Array(N * d);
    for (let r = 0; r < N; r++) {
      // TL zeroes the positional embedding of padding tokens.
      if (!isReal(Math.floor(r / P), r % P)) continue;
      pos.set(m.pos.subarray(flatPositions[r] * d, (flatPositions[r] + 1) * d), r * d);
    }
    hook('hook_pos_embed', [B, P, d], pos);
    for (let i = 0; i < resid.length; i++) resid[i] += pos[i];
  }

  m.layers.forEach((layer, l) => {
    const pre = `blocks.${l}.`;
    hook(`${pre}hook_resid_pre`, [B, P, d], resid);
    const n1 = applyNorm(resid, N, d, layer.ln1);
    hook(`${pre}ln1.hook_scale`, [B, P, 1], n1.scale);
    hook(`${pre}ln1.hook_normalized`, [B, P, d], n1.normalized);
    let q = applyLinear(n1.output, N, layer.q);
    let k = applyLinear(n1.output, N, layer.k);
    const v = applyLinear(n1.output, N, layer.v);
    hook(`${pre}attn.hook_q`, [B, P, nHeads, dHead], q);
    hook(`${pre}attn.hook_k`, [B, P, nKvHeads, dHead], k);
    hook(`${pre}attn.hook_v`, [B, P, nKvHeads, dHead], v);
    if (m.rotary) {
      q = applyRotary(q, flatPositions, nHeads, dHead, m.rotary.base, m.rotary.pairing);
      k = applyRotary(k, flatPositions, nKvHeads, dHead, m.rotary.base, m.rotary.pairing);
      hook(`${pre}attn.hook_rot_q`, [B, P, nHeads, dHead], q);
      hook(`${pre}attn.hook_rot_k`, [B, P, nKvHeads, dHead], k);
    }
    const { scores, pattern, z } = causalAttention(q, k, v, { batch: B, positions: P, heads: nHeads, kvHeads: nKvHeads, dHead }, mask);
    hook(`${pre}attn.hook_attn_scores`, [B, nHeads, P, P], scores);
    hook(`${pre}attn.hook_pattern`, [B, nHeads, P, P], pattern);
    hook(`${pre}attn.hook_z`, [B, P, nHeads, dHead], z);
    const { result, out: attnOut } = headResults(z, N, nHeads, dHead, layer.o);
    hook(`${pre}attn.hook_result`, [B, P, nHeads, d], result);
    hook(`${pre}hook_attn_out`, [B, P, d], attnOut);
    const mid = resid.map((x, i) => x + attnOut[i]);
    hook(`${pre}hook_resid_mid`, [B, P, d], mid);
    const n2 = applyNorm(mid, N, d, layer.ln2);
    hook(`${pre}ln2.hook_scale`, [B, P, 1], n2.scale);
    hook(`${pre}ln2.hook_normalized`, [B, P, d], n2.normalized);
    let mlpOut: Float64Array;
    if (layer.mlp.gated) {
      const gatePre = applyLinear(n2.output, N, layer.mlp.gate);
      const up = applyLinear(n2.output, N, layer.mlp.up);
      const dMlp = layer.mlp.gate.nOut;
      hook(`${pre}mlp.hook_pre`, [B, P, dMlp], gatePre);
      hook(`${pre}mlp.hook_pre_linear`, [B, P, dMlp], up);
      const post = gatePre.map((g, i) => silu(g) * up[i]);
      hook(`${pre}mlp.hook_post`, [B, P, dMlp], post);
      mlpOut = applyLinear(post, N, layer.mlp.down);
    } else {
      const preAct = applyLinear(n2.output, N, layer.mlp.fcIn);
      const dMlp = layer.mlp.fcIn.nOut;
      hook(`${pre}mlp.hook_pre`, [B, P, dMlp], preAct);
      const post = preAct.map(geluNew);
      hook(`${pre}mlp.hook_post`, [B, P, dMlp], post);
      mlpOut = applyLinear(post, N, layer.mlp.fcOut);
    }
    hook(`${pre}hook_mlp_out`, [B, P, d], mlpOut);
    resid = mid.map((x, i) => x + mlpOut[i]);
    hook(`${pre}hook_resid_post`, [B, P, d], resid);
  });

  const nf = applyNorm(resid, N, d, m.lnFinal);
  hook('ln_final.hook_scale', [B, P, 1], nf.scale);
  hook('ln_final.hook_normalized', [B, P, d], nf.normalized);
  const logits = applyLinear(nf.output, N, m.unembed);
  return { logits: { shape: [B, P, m.vocab], data: logits }, hooks };
}

/**
 * Mean next-token cross-entropy over positions whose token and next token are both real
 * (TL's lm_cross_entropy_loss with an attention mask).
 */
export function referenceLoss(logits: RefTensor, tokens: number[][], mask?: number[][]): number {
  const [B, P, V] = logits.shape;
  let total = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let p = 0; p + 1 < P; p++) {
      if (mask && !(mask[b][p] && mask[b][p + 1])) continue;
      const row = logits.data.subarray((b * P + p) * V, (b * P + p + 1) * V);
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, row[i]);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(row[i] - max);
      total += max + Math.log(sum) - row[tokens[b][p + 1]];
      count++;
    }
  }
  return total / count;
}
