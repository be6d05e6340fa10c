/**
 * An independent float64 GPT-NeoX forward, written from transformers' modeling_gpt_neox.py
 * (GPTNeoXLayer, GPTNeoXAttention, apply_rotary_pos_emb, GPTNeoXMLP) in plain loops over
 * the checkpoint's own tensors, with TransformerLens' hook names (parallel blocks have no
 * hook_resid_mid). Config keys are read as transformers reads them.
 */
import type { RefTensor } from '../fixtures/checkpoints.ts';
import type { FamilyFixture } from '../fixtures/gptneoxCheckpoint.ts';
import { applyLinear, applyNorm, applyRotary, causalAttention, headResults, linearOf, positionIds, type ReferenceOptions, type ReferenceResult } from './forward64.ts';
import { geluErf } from './neoxphiAttention64.ts';
import type { RefNorm } from './weights64.ts';

/** The config.json keys transformers' GPTNeoXConfig reads here. */
interface GptNeoxConfigJson {
  hidden_size: number;
  num_attention_heads: number;
  num_hidden_layers: number;
  vocab_size: number;
  rotary_pct?: number;
  rotary_emb_base?: number;
  rope_parameters?: { rope_theta?: number; partial_rotary_factor?: number };
  layer_norm_eps?: number;
  use_parallel_residual?: boolean;
  attention_bias?: boolean;
  tie_word_embeddings?: boolean;
}

export function gptNeoxReference(fixture: FamilyFixture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  const cfg = fixture.config as unknown as GptNeoxConfigJson;
  const get = (name: string): RefTensor => {
    const t = fixture.hf.get(name);
    if (!t) throw new Error(`gptneox reference: no tensor ${name}`);
    return t;
  };
  const d = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  const D = d / H;
  const rope = cfg.rope_parameters ?? {};
  const rotaryDim = Math.trunc(D * (rope.partial_rotary_factor ?? cfg.rotary_pct ?? 0.25));
  const base = rope.rope_theta ?? cfg.rotary_emb_base ?? 10000;
  const eps = cfg.layer_norm_eps ?? 1e-5;
  const parallel = cfg.use_parallel_residual ?? true;
  const hasBias = cfg.attention_bias ?? true;
  const vocab = cfg.vocab_size;
  const B = tokens.length;
  const P = tokens[0].length;
  const N = B * P;
  const mask = options.attentionMask;
  const positions = positionIds(B, P, mask).flat();
  const hooks = new Map<string, RefTensor>();
  const hook = (name: string, shape: number[], data: Float64Array) => hooks.set(name, { shape, data: Float64Array.from(data) });
  const layerNorm = (prefix: string): RefNorm => ({ kind: 'layernorm', weight: get(`${prefix}.weight`).data, bias: get(`${prefix}.bias`).data, eps });
  const norm = (x: Float64Array, prefix: string, hookPrefix: string) => {
    const n = applyNorm(x, N, d, layerNorm(prefix));
    hook(`${hookPrefix}hook_scale`, [B, P, 1], n.scale);
    hook(`${hookPrefix}hook_normalized`, [B, P, d], n.normalized);
    return n.output;
  };

  const embedIn = get('gpt_neox.embed_in.weight').data;
  let resid: Float64Array = new Float64Array(N * d);
  tokens.flat().forEach((t, r) => resid.set(embedIn.subarray(t * d, (t + 1) * d), r * d));
  hook('hook_embed', [B, P, d], resid);

  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const pre = `blocks.${l}.`;
    const w = `gpt_neox.layers.${l}.`;
    hook(`${pre}hook_resid_pre`, [B, P, d], resid);
    const x1 = norm(resid, `${w}input_layernorm`, `${pre}ln1.`);
    // query_key_value's output is viewed as (…, head, 3·d_head) and chunked into q, k, v.
    const qkv = applyLinear(x1, N, linearOf(get(`${w}attention.query_key_value.weight`), hasBias ? get(`${w}attention.query_key_value.bias`) : undefined));
    const [q, k, v] = [0, 1, 2].map((part) => {
      const out = new Float64Array(N * H * D);
      for (let r = 0; r < N; r++) for (let h = 0; h < H; h++) for (let j = 0; j < D; j++) out[(r * H + h) * D + j] = qkv[r * 3 * d + h * 3 * D + part * D + j];
      return out;
    });
    hook(`${pre}attn.hook_q`, [B, P, H, D], q);
    hook(`${pre}attn.hook_k`, [B, P, H, D], k);
    hook(`${pre}attn.hook_v`, [B, P, H, D], v);
    const rq = applyRotary(q, positions, H, D, base, 'half', rotaryDim);
    const rk = applyRotary(k, positions, H, D, base, 'half', rotaryDim);
    hook(`${pre}attn.hook_rot_q`, [B, P, H, D], rq);
    hook(`${pre}attn.hook_rot_k`, [B, P, H, D], rk);
    const { scores, pattern, z } = causalAttention(rq, rk, v, { batch: B, positions: P, heads: H, kvHeads: H, dHead: D }, mask);
    hook(`${pre}attn.hook_attn_scores`, [B, H, P, P], scores);
    hook(`${pre}attn.hook_pattern`, [B, H, P, P], pattern);
    hook(`${pre}attn.hook_z`, [B, P, H, D], z);
    const { result, out: attnOut } = headResults(z, N, H, D, linearOf(get(`${w}attention.dense.weight`), hasBias ? get(`${w}attention.dense.bias`) : undefined));
    hook(`${pre}attn.hook_result`, [B, P, H, d], result);
    hook(`${pre}hook_attn_out`, [B, P, d], attnOut);
    let mlpInput = resid;
    let mid: Float64Array | undefined;
    if (!parallel) {
      mid = resid.map((value, i) => value + attnOut[i]);
      hook(`${pre}hook_resid_mid`, [B, P, d], mid);
      mlpInput = mid;
    }
    const x2 = norm(mlpInput, `${w}post_attention_layernorm`, `${pre}ln2.`);
    const hidden = applyLinear(x2, N, linearOf(get(`${w}mlp.dense_h_to_4h.weight`), get(`${w}mlp.dense_h_to_4h.bias`)));
    const dMlp = hidden.length / N;
    hook(`${pre}mlp.hook_pre`, [B, P, dMlp], hidden);
    const post = hidden.map(geluErf);
    hook(`${pre}mlp.hook_post`, [B, P, dMlp], post);
    const mlpOut = applyLinear(post, N, linearOf(get(`${w}mlp.dense_4h_to_h.weight`), get(`${w}mlp.dense_4h_to_h.bias`)));
    hook(`${pre}hook_mlp_out`, [B, P, d], mlpOut);
    // Parallel: mlp_output + attn_output + hidden_states; sequential: mlp_output + (attn_output + hidden_states).
    resid = mid ? mid.map((value, i) => value + mlpOut[i]) : resid.map((value, i) => mlpOut[i] + attnOut[i] + value);
    hook(`${pre}hook_resid_post`, [B, P, d], resid);
  }
  const final = norm(resid, 'gpt_neox.final_layer_norm', 'ln_final.');
  const unembed = cfg.tie_word_embeddings ? get('gpt_neox.embed_in.weight') : get('embed_out.weight');
  const logits = applyLinear(final, N, linearOf(unembed));
  return { logits: { shape: [B, P, vocab], data: logits }, hooks };
}
