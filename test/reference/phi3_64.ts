/**
 * An independent float64 Phi-3 forward, written from transformers' modeling_phi3.py
 * (Phi3DecoderLayer, Phi3Attention with the fused qkv_proj, Phi3MLP with the fused
 * gate_up_proj, Phi3RMSNorm, partial rotary) in plain loops over the checkpoint's own
 * tensors, with TransformerLens' hook names. Sequences stay within sliding_window, where
 * the window masks nothing.
 */
import type { RefTensor } from '../fixtures/checkpoints.ts';
import type { FamilyFixture } from '../fixtures/gptneoxCheckpoint.ts';
import { applyLinear, applyNorm, applyRotary, causalAttention, headResults, linearOf, positionIds, silu, type ReferenceOptions, type ReferenceResult } from './forward64.ts';

/** The config.json keys transformers' Phi3Config reads here. */
interface Phi3ConfigJson {
  hidden_size: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  num_hidden_layers: number;
  intermediate_size: number;
  vocab_size: number;
  partial_rotary_factor?: number;
  rope_theta?: number;
  rms_norm_eps?: number;
  sliding_window?: number | null;
  tie_word_embeddings?: boolean;
}

export function phi3Reference(fixture: FamilyFixture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  const cfg = fixture.config as unknown as Phi3ConfigJson;
  const get = (name: string): RefTensor => {
    const t = fixture.hf.get(name);
    if (!t) throw new Error(`phi3 reference: no tensor ${name}`);
    return t;
  };
  const d = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  const KV = cfg.num_key_value_heads ?? H;
  const D = cfg.head_dim ?? d / H;
  const rotaryDim = Math.trunc(D * (cfg.partial_rotary_factor ?? 1));
  const base = cfg.rope_theta ?? 10000;
  const eps = cfg.rms_norm_eps ?? 1e-5;
  const dMlp = cfg.intermediate_size;
  const B = tokens.length;
  const P = tokens[0].length;
  if (cfg.sliding_window && P > cfg.sliding_window) throw new Error('phi3 reference: sequence longer than sliding_window');
  const N = B * P;
  const mask = options.attentionMask;
  const positions = positionIds(B, P, mask).flat();
  const hooks = new Map<string, RefTensor>();
  const hook = (name: string, shape: number[], data: Float64Array) => hooks.set(name, { shape, data: Float64Array.from(data) });
  const norm = (x: Float64Array, name: string, hookPrefix: string) => {
    const n = applyNorm(x, N, d, { kind: 'rmsnorm', weight: get(name).data, eps });
    hook(`${hookPrefix}hook_scale`, [B, P, 1], n.scale);
    hook(`${hookPrefix}hook_normalized`, [B, P, d], n.normalized);
    return n.output;
  };

  const embed = get('model.embed_tokens.weight').data;
  let resid: Float64Array = new Float64Array(N * d);
  tokens.flat().forEach((t, r) => resid.set(embed.subarray(t * d, (t + 1) * d), r * d));
  hook('hook_embed', [B, P, d], resid);

  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const pre = `blocks.${l}.`;
    const w = `model.layers.${l}.`;
    hook(`${pre}hook_resid_pre`, [B, P, d], resid);
    const x1 = norm(resid, `${w}input_layernorm.weight`, `${pre}ln1.`);
    // qkv[..., :H·D] is the query, the next KV·D the key, the rest the value.
    const qkvWeight = get(`${w}self_attn.qkv_proj.weight`);
    const q = applyLinear(x1, N, linearOf(qkvWeight, undefined, 0, H * D));
    const k = applyLinear(x1, N, linearOf(qkvWeight, undefined, H * D, KV * D));
    const v = applyLinear(x1, N, linearOf(qkvWeight, undefined, (H + KV) * D, KV * D));
    hook(`${pre}attn.hook_q`, [B, P, H, D], q);
    hook(`${pre}attn.hook_k`, [B, P, KV, D], k);
    hook(`${pre}attn.hook_v`, [B, P, KV, D], v);
    const rq = applyRotary(q, positions, H, D, base, 'half', rotaryDim);
    const rk = applyRotary(k, positions, KV, D, base, 'half', rotaryDim);
    hook(`${pre}attn.hook_rot_q`, [B, P, H, D], rq);
    hook(`${pre}attn.hook_rot_k`, [B, P, KV, D], rk);
    const { scores, pattern, z } = causalAttention(rq, rk, v, { batch: B, positions: P, heads: H, kvHeads: KV, dHead: D }, mask);
    hook(`${pre}attn.hook_attn_scores`, [B, H, P, P], scores);
    hook(`${pre}attn.hook_pattern`, [B, H, P, P], pattern);
    hook(`${pre}attn.hook_z`, [B, P, H, D], z);
    const { result, out: attnOut } = headResults(z, N, H, D, linearOf(get(`${w}self_attn.o_proj.weight`)));
    hook(`${pre}attn.hook_result`, [B, P, H, d], result);
    hook(`${pre}hook_attn_out`, [B, P, d], attnOut);
    const mid = resid.map((value, i) => value + attnOut[i]);
    hook(`${pre}hook_resid_mid`, [B, P, d], mid);
    const x2 = norm(mid, `${w}post_attention_layernorm.weight`, `${pre}ln2.`);
    // gate_up_proj's output chunks into (gate, up): up · act(gate).
    const gateUp = get(`${w}mlp.gate_up_proj.weight`);
    const gate = applyLinear(x2, N, linearOf(gateUp, undefined, 0, dMlp));
    const up = applyLinear(x2, N, linearOf(gateUp, undefined, dMlp, dMlp));
    hook(`${pre}mlp.hook_pre`, [B, P, dMlp], gate);
    hook(`${pre}mlp.hook_pre_linear`, [B, P, dMlp], up);
    const post = up.map((u, i) => u * silu(gate[i]));
    hook(`${pre}mlp.hook_post`, [B, P, dMlp], post);
    const mlpOut = applyLinear(post, N, linearOf(get(`${w}mlp.down_proj.weight`)));
    hook(`${pre}hook_mlp_out`, [B, P, d], mlpOut);
    resid = mid.map((value, i) => value + mlpOut[i]);
    hook(`${pre}hook_resid_post`, [B, P, d], resid);
  }
  const final = norm(resid, 'model.norm.weight', 'ln_final.');
  const unembed = cfg.tie_word_embeddings ? get('model.embed_tokens.weight') : get('lm_head.weight');
  const logits = applyLinear(final, N, linearOf(unembed));
  return { logits: { shape: [B, P, cfg.vocab_size], data: logits }, hooks };
}
