/**
 * Checks of the float64 reference itself: hand-derived values, invariants of softmax,
 * masks and rotary, and equivalences between checkpoint conventions (GQA vs repeated
 * heads, llama2.c adjacent rotary vs Hugging Face's permuted half-split).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyGpt2, writeTinyLlama, writeTinyLlama2c, type Fixture, type RefTensor } from '../fixtures/checkpoints.ts';
import { Rng, randomTokens } from '../fixtures/random.ts';
import { applyRotary, geluNew, positionIds, referenceForward, referenceLoss, silu } from './forward64.ts';

const scratch = mkdtempSync(join(tmpdir(), 'hooklens-ref-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const t = (shape: number[], values: number[]): RefTensor => ({ shape, data: Float64Array.from(values) });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** 1 layer, d_model 2, 1 head; V and O are identities so each step can be done by hand. */
function handGpt2(): Fixture {
  const hf = new Map<string, RefTensor>([
    ['wte.weight', t([3, 2], [3, 1, 1, 0, 0, 1])],
    ['wpe.weight', t([4, 2], [0, 0, 0.5, -0.5, 0, 0, 0, 0])],
    ['h.0.ln_1.weight', t([2], [2, 1])],
    ['h.0.ln_1.bias', t([2], [0.5, 0])],
    // columns [q | k | v]: q = x, k = 2x, v = x, with biases only on v.
    ['h.0.attn.c_attn.weight', t([2, 6], [1, 0, 2, 0, 1, 0, 0, 1, 0, 2, 0, 1])],
    ['h.0.attn.c_attn.bias', t([6], [0, 0, 0, 0, 0.1, -0.1])],
    ['h.0.attn.c_proj.weight', t([2, 2], [1, 0, 0, 1])],
    ['h.0.attn.c_proj.bias', t([2], [0.2, 0.3])],
    ['h.0.ln_2.weight', t([2], [1, 1])],
    ['h.0.ln_2.bias', t([2], [0, 0])],
    ['h.0.mlp.c_fc.weight', t([2, 2], [1, 0, 0, 1])],
    ['h.0.mlp.c_fc.bias', t([2], [0, 0])],
    ['h.0.mlp.c_proj.weight', t([2, 2], [1, 0, 0, 1])],
    ['h.0.mlp.c_proj.bias', t([2], [0, 0])],
    ['ln_f.weight', t([2], [1, 1])],
    ['ln_f.bias', t([2], [0, 0])],
  ]);
  const config = { n_embd: 2, n_layer: 1, n_head: 1, n_positions: 4, n_inner: 2, vocab_size: 3, layer_norm_epsilon: 1e-5 };
  return { format: 'gpt2', dir: '', hf, config };
}

describe('reference elementwise functions', () => {
  it('gelu_new and silu match known values', () => {
    expect(geluNew(0)).toBe(0);
    expect(geluNew(1)).toBeCloseTo(0.8411919906082768, 14);
    expect(geluNew(-1)).toBeCloseTo(-0.15880800939172324, 14);
    expect(silu(0)).toBe(0);
    expect(silu(1)).toBeCloseTo(0.7310585786300049, 14);
  });

  it('position ids count real tokens for left and right padding', () => {
    expect(positionIds(1, 4)).toEqual([[0, 1, 2, 3]]);
    expect(positionIds(2, 4, [[0, 0, 1, 1], [1, 1, 1, 0]])).toEqual([[0, 0, 0, 1], [0, 1, 2, 2]]);
  });

  it('cross-entropy of uniform logits is log V', () => {
    const logits = t([1, 3, 5], new Array(15).fill(0.3));
    expect(referenceLoss(logits, [[0, 1, 2]])).toBeCloseTo(Math.log(5), 14);
    // Each mask leaves one fully real (token, next token) pair.
    const skewed = t([1, 3, 2], [0, 0, 0, Math.log(3), 0, 0]);
    expect(referenceLoss(skewed, [[0, 1, 0]], [[0, 1, 1]])).toBeCloseTo(Math.log(4), 14);
    expect(referenceLoss(skewed, [[0, 0, 1]], [[1, 1, 0]])).toBeCloseTo(Math.log(2), 14);
  });
});

describe('reference forward, hand-derived 1-layer d_model=2 GPT-2', () => {
  const eps = 1e-5;
  const ln2d = (x: number[], w: number[], b: number[]) => {
    const delta = (x[0] - x[1]) / 2;
    const s = Math.sqrt(delta * delta + eps);
    const n = [delta / s, -delta / s]; // TL 3's hook_normalized: before the gain and bias
    return { s, n, y: [n[0] * w[0] + b[0], n[1] * w[1] + b[1]] };
  };

  it('single token: every hook in closed form', () => {
    const { hooks, logits } = referenceForward(handGpt2(), [[0]]);
    const x = [3, 1];
    const ln1 = ln2d(x, [2, 1], [0.5, 0]);
    expect(hooks.get('blocks.0.ln1.hook_scale')!.data[0]).toBeCloseTo(Math.sqrt(1 + eps), 14);
    expect([...hooks.get('blocks.0.ln1.hook_normalized')!.data]).toEqual(ln1.n);
    expect([...hooks.get('blocks.0.attn.hook_pattern')!.data]).toEqual([1]);
    const v = [ln1.y[0] + 0.1, ln1.y[1] - 0.1];
    expect(maxAbsDiff(hooks.get('blocks.0.attn.hook_z')!.data, v)).toBeLessThan(1e-15);
    expect(maxAbsDiff(hooks.get('blocks.0.attn.hook_result')!.data, v)).toBeLessThan(1e-15);
    const attnOut = [v[0] + 0.2, v[1] + 0.3];
    expect(maxAbsDiff(hooks.get('blocks.0.hook_attn_out')!.data, attnOut)).toBeLessThan(1e-15);
    const mid = [x[0] + attnOut[0], x[1] + attnOut[1]];
    const ln2 = ln2d(mid, [1, 1], [0, 0]);
    expect(maxAbsDiff(hooks.get('blocks.0.ln2.hook_normalized')!.data, ln2.y)).toBeLessThan(1e-15);
    expect(maxAbsDiff(hooks.get('blocks.0.mlp.hook_post')!.data, ln2.y.map(geluNew))).toBeLessThan(1e-15);
    const post = [mid[0] + geluNew(ln2.y[0]), mid[1] + geluNew(ln2.y[1])];
    expect(maxAbsDiff(hooks.get('blocks.0.hook_resid_post')!.data, post)).toBeLessThan(1e-14);
    const lnf = ln2d(post, [1, 1], [0, 0]);
    const expected = [[3, 1], [1, 0], [0, 1]].map((row) => row[0] * lnf.y[0] + row[1] * lnf.y[1]);
    expect(maxAbsDiff(logits.data, expected)).toBeLessThan(1e-13);
    expect(logits.shape).toEqual([1, 1, 3]);
  });

  it('two tokens: causal scores and softmax by hand', () => {
    const { hooks } = referenceForward(handGpt2(), [[0, 1]]);
    // q = n, k = 2n for the normalized inputs n_p; scale 1/sqrt(2).
    const n0 = ln2d([3, 1], [2, 1], [0.5, 0]).y;
    const n1 = ln2d([1.5, -0.5], [2, 1], [0.5, 0]).y; // wte[1] + wpe[1]
    const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1];
    const s10 = dot(n1, n0.map((x) => 2 * x)) / Math.SQRT2;
    const s11 = dot(n1, n1.map((x) => 2 * x)) / Math.SQRT2;
    const scores = hooks.get('blocks.0.attn.hook_attn_scores')!;
    expect(scores.shape).toEqual([1, 1, 2, 2]);
    expect(scores.data[1]).toBe(-Infinity);
    expect(scores.data[2]).toBeCloseTo(s10, 13);
    expect(scores.data[3]).toBeCloseTo(s11, 13);
    const pattern = hooks.get('blocks.0.attn.hook_pattern')!.data;
    expect(pattern[0]).toBe(1);
    expect(pattern[1]).toBe(0);
    expect(pattern[2]).toBeCloseTo(1 / (1 + Math.exp(s11 - s10)), 14);
  });
});

describe('reference invariants on random checkpoints', () => {
  const gpt2 = writeTinyGpt2(join(scratch, 'gpt2'), { seed: 1 });
  const llama = writeTinyLlama(join(scratch, 'llama'), { seed: 2, nHeads: 4, nKvHeads: 2 });
  const tokens = randomTokens(new Rng(3), 2, 6, 97);

  it.each([['gpt2', gpt2], ['llama', llama]] as const)('%s: causal -inf scores, pattern rows sum to 1, shapes', (_, fixture) => {
    const { hooks } = referenceForward(fixture, tokens);
    for (const [name, value] of hooks) {
      expect(value.data.length, name).toBe(value.shape.reduce((a, b) => a * b, 1));
      if (!name.endsWith('hook_attn_scores')) expect(value.data.every(Number.isFinite), name).toBe(true);
    }
    const scores = hooks.get('blocks.1.attn.hook_attn_scores')!;
    const pattern = hooks.get('blocks.1.attn.hook_pattern')!;
    const [B, H, P] = scores.shape;
    for (let r = 0; r < B * H * P; r++) {
      const i = r % P;
      let sum = 0;
      for (let j = 0; j < P; j++) {
        expect(scores.data[r * P + j] === -Infinity).toBe(j > i);
        sum += pattern.data[r * P + j];
      }
      expect(sum).toBeCloseTo(1, 12);
    }
  });

  it('llama hooks include rotary hooks and no positional embedding; GQA shapes', () => {
    const { hooks } = referenceForward(llama, tokens);
    expect(hooks.has('hook_pos_embed')).toBe(false);
    expect(hooks.get('blocks.0.attn.hook_k')!.shape).toEqual([2, 6, 2, 4]);
    expect(hooks.get('blocks.0.attn.hook_rot_q')!.shape).toEqual([2, 6, 4, 4]);
    expect(hooks.get('blocks.0.mlp.hook_pre_linear')!.shape).toEqual([2, 6, 40]);
    expect(referenceForward(gpt2, tokens).hooks.has('blocks.0.attn.hook_rot_q')).toBe(false);
  });

  it.each([['gpt2', gpt2], ['llama', llama]] as const)('%s: left and right padding leave real positions equal to the unpadded run', (_, fixture) => {
    const short = tokens[1].slice(0, 4);
    const alone = referenceForward(fixture, [short]).logits.data;
    const V = 97;
    const left = referenceForward(fixture, [tokens[0], [0, 0, ...short]], { attentionMask: [[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]] });
    const right = referenceForward(fixture, [tokens[0], [...short, 5, 5]], { attentionMask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]] });
    expect(maxAbsDiff(left.logits.data.subarray(6 * V + 2 * V, 12 * V), alone)).toBeLessThan(1e-12);
    expect(maxAbsDiff(right.logits.data.subarray(6 * V, 6 * V + 4 * V), alone)).toBeLessThan(1e-12);
    const full = referenceForward(fixture, [tokens[0]]).logits.data;
    expect(maxAbsDiff(left.logits.data.subarray(0, 6 * V), full)).toBeLessThan(1e-12);
    // Left-padded query rows 0 and 1 see only padding keys: all-zero pattern rows.
    const pattern = left.hooks.get('blocks.0.attn.hook_pattern')!;
    const P = 6;
    const rowStart = (b: number, h: number, i: number) => ((b * 4 + h) * P + i) * P;
    expect(pattern.data.subarray(rowStart(1, 0, 0), rowStart(1, 0, 2)).every((x) => x === 0)).toBe(true);
  });
});

describe('reference rotary', () => {
  const rng = new Rng(7);
  const dHead = 8;
  const vec = () => Float64Array.from({ length: dHead }, () => rng.normal());
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

  it.each(['half', 'adjacent'] as const)('%s: identity at position 0, norm preserving, relative', (pairing) => {
    const q = vec();
    const k = vec();
    expect([...applyRotary(q, [0], 1, dHead, 10000, pairing)]).toEqual([...q]);
    const r = applyRotary(q, [5], 1, dHead, 10000, pairing);
    expect(dot(r, r)).toBeCloseTo(dot(q, q), 12);
    const score = (m: number, n: number) => dot(applyRotary(q, [m], 1, dHead, 10000, pairing), applyRotary(k, [n], 1, dHead, 10000, pairing));
    expect(score(7, 3)).toBeCloseTo(score(4, 0), 12);
    expect(score(7, 3)).not.toBeCloseTo(score(4, 1), 3);
  });

  it('lowest-frequency pair turns by exactly the position (angle pos·base^0)', () => {
    const e = new Float64Array(dHead);
    e[0] = 1;
    const half = applyRotary(e, [1], 1, dHead, 10000, 'half');
    expect(half[0]).toBeCloseTo(Math.cos(1), 14);
    expect(half[dHead / 2]).toBeCloseTo(Math.sin(1), 14);
    const adjacent = applyRotary(e, [1], 1, dHead, 10000, 'adjacent');
    expect(adjacent[1]).toBeCloseTo(Math.sin(1), 14);
  });
});

describe('reference equivalences across checkpoint conventions', () => {
  it('llama2.c (adjacent rotary) equals HF Llama built with the HF permutation of wq/wk', () => {
    const c = writeTinyLlama2c(join(scratch, 'tiny.bin'), { seed: 11, dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, vocab: 50, shared: false });
    const { dim, hidden_dim: hidden, n_layers: L, n_heads: nHeads, n_kv_heads: nKv, vocab_size: vocab } = c.config as Record<string, number>;
    const dHead = dim / nHeads;
    const get = (name: string) => c.hf.get(name)!.data;
    const slice = (name: string, l: number, rows: number, cols: number) => t([rows, cols], [...get(name).subarray(l * rows * cols, (l + 1) * rows * cols)]);
    // convert_llama_weights_to_hf.py: w.view(heads, d/2, 2, in).transpose(1, 2).reshape(out, in)
    const permute = (w: RefTensor, heads: number) => {
      const [rows, cols] = w.shape;
      const out = new Float64Array(rows * cols);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < dHead / 2; i++) {
          for (let j = 0; j < 2; j++) {
            const from = h * dHead + 2 * i + j;
            const to = h * dHead + j * (dHead / 2) + i;
            out.set(w.data.subarray(from * cols, (from + 1) * cols), to * cols);
          }
        }
      }
      return { shape: w.shape, data: out };
    };
    const hf = new Map<string, RefTensor>([['model.embed_tokens.weight', c.hf.get('token_embedding_table')!]]);
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}.`;
      hf.set(`${p}input_layernorm.weight`, slice('rms_att_weight', l, 1, dim));
      hf.set(`${p}self_attn.q_proj.weight`, permute(slice('wq', l, dim, dim), nHeads));
      hf.set(`${p}self_attn.k_proj.weight`, permute(slice('wk', l, nKv * dHead, dim), nKv));
      hf.set(`${p}self_attn.v_proj.weight`, slice('wv', l, nKv * dHead, dim));
      hf.set(`${p}self_attn.o_proj.weight`, slice('wo', l, dim, dim));
      hf.set(`${p}post_attention_layernorm.weight`, slice('rms_ffn_weight', l, 1, dim));
      hf.set(`${p}mlp.gate_proj.weight`, slice('w1', l, hidden, dim));
      hf.set(`${p}mlp.up_proj.weight`, slice('w3', l, hidden, dim));
      hf.set(`${p}mlp.down_proj.weight`, slice('w2', l, dim, hidden));
    }
    hf.set('model.norm.weight', c.hf.get('rms_final_weight')!);
    hf.set('lm_head.weight', c.hf.get('wcls')!);
    for (const [name, value] of hf) if (value.shape[0] === 1) hf.set(name, { shape: [value.shape[1]], data: value.data });
    const asHf: Fixture = {
      format: 'llama', dir: '', hf,
      config: { hidden_size: dim, intermediate_size: hidden, num_hidden_layers: L, num_attention_heads: nHeads, num_key_value_heads: nKv, vocab_size: vocab, rms_norm_eps: 1e-5, rope_theta: 10000 },
    };
    const tokens = randomTokens(new Rng(12), 2, 7, vocab);
    const a = referenceForward(c, tokens);
    const b = referenceForward(asHf, tokens);
    expect(maxAbsDiff(a.logits.data, b.logits.data)).toBeLessThan(1e-12);
    // The permutation moves q/k dimensions but not attention itself.
    expect(maxAbsDiff(a.hooks.get('blocks.1.attn.hook_pattern')!.data, b.hooks.get('blocks.1.attn.hook_pattern')!.data)).toBeLessThan(1e-12);
  });

  it('grouped-query attention equals full attention with each kv head repeated', () => {
    const gqa = writeTinyLlama(join(scratch, 'gqa'), { seed: 21, nHeads: 4, nKvHeads: 2 });
    const dHead = 4;
    const repeat = (w: RefTensor): RefTensor => {
      const cols = w.shape[1];
      const out = new Float64Array(4 * dHead * cols);
      for (let h = 0; h < 4; h++) {
        const kv = Math.floor(h / 2);
        out.set(w.data.subarray(kv * dHead * cols, (kv + 1) * dHead * cols), h * dHead * cols);
      }
      return { shape: [4 * dHead, cols], data: out };
    };
    const hf = new Map(gqa.hf);
    for (const [name, value] of gqa.hf) if (/[kv]_proj/.test(name)) hf.set(name, repeat(value));
    const mha: Fixture = { ...gqa, hf, config: { ...gqa.config, num_key_value_heads: 4 } };
    const tokens = randomTokens(new Rng(22), 2, 7, 97);
    expect(maxAbsDiff(referenceForward(gqa, tokens).logits.data, referenceForward(mha, tokens).logits.data)).toBeLessThan(1e-12);
  });

  it('BF16 and F16 fixtures report their rounded stored values', () => {
    const f32 = writeTinyLlama(join(scratch, 'f32'), { seed: 31 });
    const bf16 = writeTinyLlama(join(scratch, 'bf16'), { seed: 31, dtype: 'BF16' });
    const f16 = writeTinyLlama(join(scratch, 'f16'), { seed: 31, dtype: 'F16' });
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const exact = f32.hf.get(name)!.data;
    const b = bf16.hf.get(name)!.data;
    const h = f16.hf.get(name)!.data;
    const d1 = maxAbsDiff(exact, b);
    expect(d1).toBeGreaterThan(0);
    expect(d1).toBeLessThan(2 ** -8 * 2);
    expect(maxAbsDiff(exact, h)).toBeLessThan(2 ** -11 * 2);
    // bf16 keeps the top 16 bits: the low half of each float32 pattern is zero.
    const bits = new Uint32Array(Float32Array.from(b).buffer);
    expect(bits.every((x) => (x & 0xffff) === 0)).toBe(true);
  });
});
