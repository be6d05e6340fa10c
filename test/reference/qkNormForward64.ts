/**
 * A float64 forward pass, in plain loops, of the decoders that Hugging Face writes as Llama plus
 * q/k RMSNorms: Qwen3 (modeling_qwen3.py) and OLMo 2 (modeling_olmo2.py). It reads the
 * checkpoint's own tensors (nn.Linear [out, in]) and shares no code with packages/core. Hooks
 * carry TransformerLens 3's names: hook_q / hook_k are the raw projections, attn.q_norm /
 * attn.k_norm come next, then rotary; OLMo 2's ln1 / ln2 are its post-sublayer norms and
 * hook_attn_out / hook_mlp_out what joins the residual stream (after them).
 */
import type { RefTensor } from '../fixtures/checkpoints.ts';
import type { FamilyFixture } from '../fixtures/qwen3Checkpoint.ts';
import { applyLinear, applyNorm, applyRotary, causalAttention, headResults, linearOf, positionIds, silu, type ReferenceOptions, type ReferenceResult } from './forward64.ts';
import type { RefNorm } from './weights64.ts';

export interface QkNormArchitecture {
  /** Qwen3: RMSNorm over each head's head_dim. OLMo 2: over the whole projection. */
  qkNorm: 'head' | 'full';
  /** Qwen3: input_layernorm before attention, post_attention_layernorm before the MLP. OLMo 2: norms on the outputs. */
  placement: 'pre' | 'post';
  ln1: string;
  ln2: string;
}

/** y[r, o] = Σ_i x[r, i] · W[o, i] (+ b[o]), W stored [out, in] as nn.Linear does. */
function linear(x: Float64Array, rows: number, nIn: number, weight: RefTensor, bias?: RefTensor): Float64Array {
  if (weight.shape[1] !== nIn) throw new Error(`reference: linear [${weight.shape}] applied to width ${nIn}`);
  return applyLinear(x, rows, linearOf(weight, bias));
}

export function qkNormForward(fixture: FamilyFixture, arch: QkNormArchitecture, tokens: number[][], options: ReferenceOptions = {}): ReferenceResult {
  const cfg = fixture.config;
  const num = (key: string) => cfg[key] as number;
  const d = num('hidden_size');
  const nHeads = num('num_attention_heads');
  const nKvHeads = (cfg.num_key_value_heads as number | undefined) ?? nHeads;
  const dHead = (cfg.head_dim as number | undefined) ?? d / nHeads;
  const vocab = num('vocab_size');
  const eps = num('rms_norm_eps');
  const base = num('rope_theta');
  const get = (name: string): RefTensor => {
    const t = fixture.hf.get(name);
    if (!t) throw new Error(`reference: fixture has no tensor ${name}`);
    return t;
  };
  const rms = (name: string): RefNorm => ({ kind: 'rmsnorm', weight: get(name).data, eps });

  const B = tokens.length;
  const P = tokens[0].length;
  const N = B * P;
  const mask = options.attentionMask;
  const positions = positionIds(B, P, mask).flat();
  const hooks = new Map<string, RefTensor>();
  const hook = (name: string, shape: number[], data: Float64Array) => hooks.set(name, { shape, data: Float64Array.from(data) });

  const embedding = get('model.embed_tokens.weight').data;
  let resid: Float64Array = new Float64Array(N * d);
  tokens.flat().forEach((t, r) => resid.set(embedding.subarray(t * d, (t + 1) * d), r * d));
  hook('hook_embed', [B, P, d], resid);

  /** A norm over rows of `width`, hooked under `prefix` with the row shape `rowShape`; returns the weighted output. */
  const norm = (prefix: string, x: Float64Array, rows: number, width: number, weights: RefNorm, rowShape: number[]): Float64Array => {
    const n = applyNorm(x, rows, width, weights);
    hook(`${prefix}hook_scale`, [...rowShape, 1], n.scale);
    hook(`${prefix}hook_normalized`, [...rowShape, width], n.normalized);
    return n.output;
  };

  for (let l = 0; l < num('num_hidden_layers'); l++) {
    const pre = `blocks.${l}.`;
    const h = `model.layers.${l}.`;
    hook(`${pre}hook_resid_pre`, [B, P, d], resid);
    const attnIn = arch.placement === 'pre' ? norm(`${pre}ln1.`, resid, N, d, rms(`${h}${arch.ln1}.weight`), [B, P]) : resid;
    const opt = (name: string) => fixture.hf.get(name);
    let q = linear(attnIn, N, d, get(`${h}self_attn.q_proj.weight`), opt(`${h}self_attn.q_proj.bias`));
    let k = linear(attnIn, N, d, get(`${h}self_attn.k_proj.weight`), opt(`${h}self_attn.k_proj.bias`));
    const v = linear(attnIn, N, d, get(`${h}self_attn.v_proj.weight`), opt(`${h}self_attn.v_proj.bias`));
    hook(`${pre}attn.hook_q`, [B, P, nHeads, dHead], q);
    hook(`${pre}attn.hook_k`, [B, P, nKvHeads, dHead], k);
    hook(`${pre}attn.hook_v`, [B, P, nKvHeads, dHead], v);
    if (arch.qkNorm === 'head') {
      // Qwen3: q_norm(q_proj(x).view(..., heads, head_dim)): every head's vector on its own.
      q = norm(`${pre}attn.q_norm.`, q, N * nHeads, dHead, rms(`${h}self_attn.q_norm.weight`), [B, P, nHeads]);
      k = norm(`${pre}attn.k_norm.`, k, N * nKvHeads, dHead, rms(`${h}self_attn.k_norm.weight`), [B, P, nKvHeads]);
    } else {
      // OLMo 2: q_norm(q_proj(x)) over all heads at once, before the view into heads.
      q = norm(`${pre}attn.q_norm.`, q, N, nHeads * dHead, rms(`${h}self_attn.q_norm.weight`), [B, P]);
      k = norm(`${pre}attn.k_norm.`, k, N, nKvHeads * dHead, rms(`${h}self_attn.k_norm.weight`), [B, P]);
    }
    q = applyRotary(q, positions, nHeads, dHead, base, 'half');
    k = applyRotary(k, positions, nKvHeads, dHead, base, 'half');
    hook(`${pre}attn.hook_rot_q`, [B, P, nHeads, dHead], q);
    hook(`${pre}attn.hook_rot_k`, [B, P, nKvHeads, dHead], k);

    const { scores, pattern, z } = causalAttention(q, k, v, { batch: B, positions: P, heads: nHeads, kvHeads: nKvHeads, dHead }, mask); // HF's scaling = head_dim ** -0.5
    hook(`${pre}attn.hook_attn_scores`, [B, nHeads, P, P], scores);
    hook(`${pre}attn.hook_pattern`, [B, nHeads, P, P], pattern);
    hook(`${pre}attn.hook_z`, [B, P, nHeads, dHead], z);
    // o_proj [d, heads·head_dim], per head.
    const { result, out } = headResults(z, N, nHeads, dHead, linearOf(get(`${h}self_attn.o_proj.weight`), opt(`${h}self_attn.o_proj.bias`)));
    let attnOut: Float64Array = out;
    hook(`${pre}attn.hook_result`, [B, P, nHeads, d], result);
    if (arch.placement === 'post') attnOut = norm(`${pre}ln1.`, attnOut, N, d, rms(`${h}${arch.ln1}.weight`), [B, P]);
    hook(`${pre}hook_attn_out`, [B, P, d], attnOut);
    const mid = resid.map((x, i) => x + attnOut[i]);
    hook(`${pre}hook_resid_mid`, [B, P, d], mid);

    const mlpIn = arch.placement === 'pre' ? norm(`${pre}ln2.`, mid, N, d, rms(`${h}${arch.ln2}.weight`), [B, P]) : mid;
    const gate = linear(mlpIn, N, d, get(`${h}mlp.gate_proj.weight`));
    const up = linear(mlpIn, N, d, get(`${h}mlp.up_proj.weight`));
    const dMlp = num('intermediate_size');
    hook(`${pre}mlp.hook_pre`, [B, P, dMlp], gate);
    hook(`${pre}mlp.hook_pre_linear`, [B, P, dMlp], up);
    const post = gate.map((g, i) => silu(g) * up[i]); // down_proj(act_fn(gate_proj(x)) * up_proj(x))
    hook(`${pre}mlp.hook_post`, [B, P, dMlp], post);
    let mlpOut: Float64Array = linear(post, N, dMlp, get(`${h}mlp.down_proj.weight`));
    if (arch.placement === 'post') mlpOut = norm(`${pre}ln2.`, mlpOut, N, d, rms(`${h}${arch.ln2}.weight`), [B, P]);
    hook(`${pre}hook_mlp_out`, [B, P, d], mlpOut);
    resid = mid.map((x, i) => x + mlpOut[i]);
    hook(`${pre}hook_resid_post`, [B, P, d], resid);
  }
  const final = norm('ln_final.', resid, N, d, rms('model.norm.weight'), [B, P]);
  const unembed = fixture.hf.get('lm_head.weight') ?? get('model.embed_tokens.weight'); // tied: lm_head is embed_tokens
  const logits = linear(final, N, d, unembed);
  return { logits: { shape: [B, P, vocab], data: logits }, hooks };
}
