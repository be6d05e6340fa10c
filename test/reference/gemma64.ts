/**
 * Float64 forward of Gemma 2 / Gemma 3 text models in plain loops, written from Hugging Face's
 * modeling_gemma2.py / modeling_gemma3.py (not from packages/core), reporting TransformerLens'
 * hook names: ln1 = input_layernorm, ln1_post = post_attention_layernorm, ln2 =
 * pre_feedforward_layernorm, ln2_post = post_feedforward_layernorm, hook_embed after the
 * √d_model scale (TL folds it into W_E), hook_attn_scores after soft-capping and masking.
 */
import type { RefTensor } from '../fixtures/checkpoints.ts';
import type { GemmaFixture } from '../fixtures/gemmaCheckpoint.ts';
import { defaultLayerTypes } from '../fixtures/gemmaCheckpoint.ts';
import { applyLinear, applyNorm, applyRotary, causalAttention, geluNew, headResults, linearOf, positionIds, type ReferenceOptions, type ReferenceResult } from './forward64.ts';

interface GemmaShape {
  d: number;
  heads: number;
  kvHeads: number;
  dh: number;
  dMlp: number;
  vocab: number;
  eps: number;
  layers: number;
}

/** Gemma's RMSNorm over each `size`-long row: x / sqrt(mean(x²) + eps) · (1 + w). */
function gemmaRms(x: Float64Array, size: number, weight: Float64Array, eps: number): { scale: Float64Array; normalized: Float64Array; output: Float64Array } {
  return applyNorm(x, x.length / size, size, { kind: 'rmsnorm', weight: weight.map((w) => 1 + w), eps });
}

/** nn.Linear without bias: x [rows, in] · W[out, in]ᵀ. */
function linear(x: Float64Array, rows: number, weight: RefTensor): Float64Array {
  return applyLinear(x, rows, linearOf(weight));
}

const softcap = (value: number, cap: number | null | undefined) => (cap ? cap * Math.tanh(value / cap) : value);

export function gemmaForward(fixture: GemmaFixture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  const c = fixture.config;
  const num = (key: string) => c[key] as number;
  const s: GemmaShape = {
    d: num('hidden_size'), heads: num('num_attention_heads'), kvHeads: num('num_key_value_heads'), dh: num('head_dim'),
    dMlp: num('intermediate_size'), vocab: num('vocab_size'), eps: num('rms_norm_eps'), layers: num('num_hidden_layers'),
  };
  const w = (name: string): RefTensor => {
    const tensor = fixture.hf.get(fixture.prefix + name) ?? fixture.hf.get(name);
    if (!tensor) throw new Error(`reference: no tensor ${name}`);
    return tensor;
  };
  const layerTypes = (c.layer_types as string[] | undefined) ?? defaultLayerTypes(fixture.family, s.layers);
  const window = num('sliding_window');
  const scaling = num('query_pre_attn_scalar') ** -0.5;
  const globalBase = num('rope_theta');
  const localBase = fixture.family === 'gemma3' ? num('rope_local_base_freq') : globalBase;
  const B = tokens.length;
  const P = tokens[0].length;
  const rows = B * P;
  const { d, heads, kvHeads, dh, dMlp, vocab, eps } = s;
  const mask = options.attentionMask;
  const positions = positionIds(B, P, mask);
  const hooks = new Map<string, RefTensor>();
  const put = (name: string, shape: number[], data: Float64Array) => hooks.set(name, { shape, data });
  const norm = (prefix: string, x: Float64Array, weight: RefTensor, size = d, shape = [B, P, d]) => {
    const result = gemmaRms(x, size, weight.data, eps);
    put(`${prefix}.hook_scale`, [...shape.slice(0, -1), 1], result.scale);
    put(`${prefix}.hook_normalized`, shape, result.normalized);
    return result.output;
  };

  // Gemma2Model / Gemma3TextScaledWordEmbedding: embedding · √hidden_size.
  const embed = w('embed_tokens.weight');
  let resid = new Float64Array(rows * d);
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < P; p++) {
      for (let i = 0; i < d; i++) resid[(b * P + p) * d + i] = embed.data[tokens[b][p] * d + i] * Math.sqrt(d);
    }
  }
  put('hook_embed', [B, P, d], resid);

  for (let l = 0; l < s.layers; l++) {
    const h = `layers.${l}.`;
    const t = `blocks.${l}.`;
    const local = layerTypes[l] === 'sliding_attention';
    put(`${t}hook_resid_pre`, [B, P, d], resid);
    const x = norm(`${t}ln1`, resid, w(`${h}input_layernorm.weight`));
    let q = linear(x, rows, w(`${h}self_attn.q_proj.weight`));
    let k = linear(x, rows, w(`${h}self_attn.k_proj.weight`));
    const v = linear(x, rows, w(`${h}self_attn.v_proj.weight`));
    put(`${t}attn.hook_q`, [B, P, heads, dh], q);
    put(`${t}attn.hook_k`, [B, P, kvHeads, dh], k);
    put(`${t}attn.hook_v`, [B, P, kvHeads, dh], v);
    if (fixture.family === 'gemma3') {
      q = norm(`${t}attn.q_norm`, q, w(`${h}self_attn.q_norm.weight`), dh, [B, P, heads, dh]);
      k = norm(`${t}attn.k_norm`, k, w(`${h}self_attn.k_norm.weight`), dh, [B, P, kvHeads, dh]);
    }
    const base = local ? localBase : globalBase;
    const flatPositions = positions.flat();
    q = applyRotary(q, flatPositions, heads, dh, base, 'half');
    k = applyRotary(k, flatPositions, kvHeads, dh, base, 'half');
    put(`${t}attn.hook_rot_q`, [B, P, heads, dh], q);
    put(`${t}attn.hook_rot_k`, [B, P, kvHeads, dh], k);

    // Causal, key padding, and for sliding layers only keys with qi - ki < sliding_window.
    const cap = c.attn_logit_softcapping as number | null;
    const { scores, pattern, z } = causalAttention(q, k, v, { batch: B, positions: P, heads, kvHeads, dHead: dh }, mask, {
      ...(local && { window }),
      score: (dot) => softcap(dot * scaling, cap),
    });
    put(`${t}attn.hook_attn_scores`, [B, heads, P, P], scores);
    put(`${t}attn.hook_pattern`, [B, heads, P, P], pattern);
    put(`${t}attn.hook_z`, [B, P, heads, dh], z);
    const { result, out: attn } = headResults(z, rows, heads, dh, linearOf(w(`${h}self_attn.o_proj.weight`))); // o_proj [d, heads·dh]
    put(`${t}attn.hook_result`, [B, P, heads, d], result);
    const attnOut = norm(`${t}ln1_post`, attn, w(`${h}post_attention_layernorm.weight`));
    put(`${t}hook_attn_out`, [B, P, d], attnOut);
    const mid = resid.map((value, i) => value + attnOut[i]);
    put(`${t}hook_resid_mid`, [B, P, d], mid);
    const y = norm(`${t}ln2`, mid, w(`${h}pre_feedforward_layernorm.weight`));
    const gate = linear(y, rows, w(`${h}mlp.gate_proj.weight`));
    const up = linear(y, rows, w(`${h}mlp.up_proj.weight`));
    put(`${t}mlp.hook_pre`, [B, P, dMlp], gate);
    put(`${t}mlp.hook_pre_linear`, [B, P, dMlp], up);
    // gelu_pytorch_tanh(gate) · up
    const post = gate.map((g, i) => geluNew(g) * up[i]);
    put(`${t}mlp.hook_post`, [B, P, dMlp], post);
    const mlp = linear(post, rows, w(`${h}mlp.down_proj.weight`));
    const mlpOut = norm(`${t}ln2_post`, mlp, w(`${h}post_feedforward_layernorm.weight`));
    put(`${t}hook_mlp_out`, [B, P, d], mlpOut);
    resid = mid.map((value, i) => value + mlpOut[i]);
    put(`${t}hook_resid_post`, [B, P, d], resid);
  }
  const final = norm('ln_final', resid, w('norm.weight'));
  const head = fixture.hf.get('lm_head.weight') ?? fixture.hf.get('language_model.lm_head.weight') ?? embed;
  const logits = linear(final, rows, head).map((value) => softcap(value, c.final_logit_softcapping as number | null));
  return { logits: { shape: [B, P, vocab], data: logits }, hooks };
}
