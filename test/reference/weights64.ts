/**
 * Views onto a fixture's tensors in the checkpoint's OWN names and layouts
 * (GPT-2 Conv1D [in, out], nn.Linear [out, in], llama2.c stacked [L, out, in]).
 * Nothing is re-laid-out into TransformerLens shapes: each linear map is just an
 * accessor `weight(i, o)` over the stored array, so the loaders' re-layout is checked
 * rather than copied.
 */
import type { Fixture, RefTensor } from '../fixtures/checkpoints.ts';

export interface RefLinear {
  nIn: number;
  nOut: number;
  weight(i: number, o: number): number;
  bias?: (o: number) => number;
}

export interface RefNorm {
  kind: 'layernorm' | 'rmsnorm';
  weight: Float64Array;
  bias?: Float64Array;
  eps: number;
}

export type RefMlp =
  | { gated: false; act: 'gelu_new'; fcIn: RefLinear; fcOut: RefLinear }
  | { gated: true; act: 'silu'; gate: RefLinear; up: RefLinear; down: RefLinear };

export interface RefLayer {
  ln1: RefNorm;
  q: RefLinear;
  k: RefLinear;
  v: RefLinear;
  o: RefLinear;
  ln2: RefNorm;
  mlp: RefMlp;
}

export interface RefModel {
  dModel: number;
  nHeads: number;
  nKvHeads: number;
  dHead: number;
  vocab: number;
  /** Token embedding rows [vocab, dModel]. */
  embed: Float64Array;
  /** Learned positions [nCtx, dModel], absent for rotary models. */
  pos?: Float64Array;
  rotary?: { base: number; pairing: 'half' | 'adjacent' };
  layers: RefLayer[];
  lnFinal: RefNorm;
  unembed: RefLinear;
}

function tensor(fixture: Fixture, name: string, shape?: number[]): RefTensor {
  const t = fixture.hf.get(name);
  if (!t) throw new Error(`reference: fixture has no tensor ${name}`);
  if (shape && t.shape.join(',') !== shape.join(',')) throw new Error(`reference: ${name} has shape [${t.shape}], expected [${shape}]`);
  return t;
}

/** Stored [in, out] (Conv1D), optionally a column window [colStart, colStart + nOut). */
function inOut(data: Float64Array, nIn: number, width: number, nOut = width, colStart = 0, bias?: Float64Array): RefLinear {
  return {
    nIn, nOut,
    weight: (i, o) => data[i * width + colStart + o],
    bias: bias ? (o) => bias[colStart + o] : undefined,
  };
}

/** Stored [out, in] (nn.Linear, llama2.c), starting at element `offset` of `data`. */
function outIn(data: Float64Array, nOut: number, nIn: number, offset = 0): RefLinear {
  return { nIn, nOut, weight: (i, o) => data[offset + o * nIn + i] };
}

function gpt2(fixture: Fixture): RefModel {
  const c = fixture.config as Record<string, number>;
  const d = c.n_embd;
  const nHeads = c.n_head;
  const vocab = c.vocab_size;
  const dMlp = c.n_inner ?? 4 * d;
  const eps = c.layer_norm_epsilon;
  const prefix = fixture.hf.has('transformer.wte.weight') ? 'transformer.' : '';
  const get = (name: string, shape?: number[]) => tensor(fixture, prefix + name, shape).data;
  const ln = (name: string): RefNorm => ({ kind: 'layernorm', weight: get(`${name}.weight`, [d]), bias: get(`${name}.bias`, [d]), eps });
  const layers: RefLayer[] = [];
  for (let l = 0; l < c.n_layer; l++) {
    const h = `h.${l}.`;
    const cAttn = get(`${h}attn.c_attn.weight`, [d, 3 * d]);
    const cAttnBias = get(`${h}attn.c_attn.bias`, [3 * d]);
    layers.push({
      ln1: ln(`${h}ln_1`),
      // c_attn's output columns are [q | k | v], each d wide, heads contiguous inside.
      q: inOut(cAttn, d, 3 * d, d, 0, cAttnBias),
      k: inOut(cAttn, d, 3 * d, d, d, cAttnBias),
      v: inOut(cAttn, d, 3 * d, d, 2 * d, cAttnBias),
      o: inOut(get(`${h}attn.c_proj.weight`, [d, d]), d, d, d, 0, get(`${h}attn.c_proj.bias`, [d])),
      ln2: ln(`${h}ln_2`),
      mlp: {
        gated: false,
        act: 'gelu_new',
        fcIn: inOut(get(`${h}mlp.c_fc.weight`, [d, dMlp]), d, dMlp, dMlp, 0, get(`${h}mlp.c_fc.bias`, [dMlp])),
        fcOut: inOut(get(`${h}mlp.c_proj.weight`, [dMlp, d]), dMlp, d, d, 0, get(`${h}mlp.c_proj.bias`, [d])),
      },
    });
  }
  const wte = get('wte.weight', [vocab, d]);
  const lmHead = fixture.hf.get('lm_head.weight')?.data ?? wte;
  return {
    dModel: d, nHeads, nKvHeads: nHeads, dHead: d / nHeads, vocab,
    embed: wte,
    pos: get('wpe.weight'),
    layers,
    lnFinal: ln('ln_f'),
    unembed: outIn(lmHead, vocab, d),
  };
}

function llama(fixture: Fixture): RefModel {
  const c = fixture.config as Record<string, number | boolean>;
  const d = c.hidden_size as number;
  const nHeads = c.num_attention_heads as number;
  const nKvHeads = (c.num_key_value_heads as number | undefined) ?? nHeads;
  const dHead = d / nHeads;
  const dMlp = c.intermediate_size as number;
  const vocab = c.vocab_size as number;
  const eps = c.rms_norm_eps as number;
  const get = (name: string, shape?: number[]) => tensor(fixture, name, shape).data;
  const rms = (name: string): RefNorm => ({ kind: 'rmsnorm', weight: get(name, [d]), eps });
  const layers: RefLayer[] = [];
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    const h = `model.layers.${l}.`;
    layers.push({
      ln1: rms(`${h}input_layernorm.weight`),
      q: outIn(get(`${h}self_attn.q_proj.weight`, [d, d]), d, d),
      k: outIn(get(`${h}self_attn.k_proj.weight`, [nKvHeads * dHead, d]), nKvHeads * dHead, d),
      v: outIn(get(`${h}self_attn.v_proj.weight`, [nKvHeads * dHead, d]), nKvHeads * dHead, d),
      o: outIn(get(`${h}self_attn.o_proj.weight`, [d, d]), d, d),
      ln2: rms(`${h}post_attention_layernorm.weight`),
      mlp: {
        gated: true,
        act: 'silu',
        gate: outIn(get(`${h}mlp.gate_proj.weight`, [dMlp, d]), dMlp, d),
        up: outIn(get(`${h}mlp.up_proj.weight`, [dMlp, d]), dMlp, d),
        down: outIn(get(`${h}mlp.down_proj.weight`, [d, dMlp]), d, dMlp),
      },
    });
  }
  const embed = get('model.embed_tokens.weight', [vocab, d]);
  const tied = fixture.hf.get('lm_head.weight') === undefined;
  return {
    dModel: d, nHeads, nKvHeads, dHead, vocab,
    embed,
    rotary: { base: (c.rope_theta as number | undefined) ?? 10000, pairing: 'half' },
    layers,
    lnFinal: rms('model.norm.weight'),
    unembed: outIn(tied ? embed : get('lm_head.weight', [vocab, d]), vocab, d),
  };
}

function llama2c(fixture: Fixture): RefModel {
  const c = fixture.config as Record<string, number>;
  const d = c.dim;
  const nHeads = c.n_heads;
  const nKvHeads = c.n_kv_heads;
  const dHead = d / nHeads;
  const kvDim = nKvHeads * dHead;
  const hidden = c.hidden_dim;
  const vocab = c.vocab_size;
  const eps = c.norm_eps;
  const get = (name: string) => tensor(fixture, name).data;
  const rms = (all: Float64Array, l: number): RefNorm => ({ kind: 'rmsnorm', weight: all.subarray(l * d, (l + 1) * d), eps });
  const [wq, wk, wv, wo, w1, w2, w3] = ['wq', 'wk', 'wv', 'wo', 'w1', 'w2', 'w3'].map(get);
  const layers: RefLayer[] = [];
  for (let l = 0; l < c.n_layers; l++) {
    layers.push({
      ln1: rms(get('rms_att_weight'), l),
      q: outIn(wq, d, d, l * d * d),
      k: outIn(wk, kvDim, d, l * kvDim * d),
      v: outIn(wv, kvDim, d, l * kvDim * d),
      o: outIn(wo, d, d, l * d * d),
      ln2: rms(get('rms_ffn_weight'), l),
      // run.c: hb = silu(w1 x) * (w3 x); out = w2 hb.
      mlp: { gated: true, act: 'silu', gate: outIn(w1, hidden, d, l * hidden * d), up: outIn(w3, hidden, d, l * hidden * d), down: outIn(w2, d, hidden, l * d * hidden) },
    });
  }
  const embed = get('token_embedding_table');
  return {
    dModel: d, nHeads, nKvHeads, dHead, vocab,
    embed,
    rotary: { base: c.rope_theta, pairing: 'adjacent' },
    layers,
    lnFinal: { kind: 'rmsnorm', weight: get('rms_final_weight'), eps },
    unembed: outIn(fixture.hf.get('wcls')?.data ?? embed, vocab, d),
  };
}

export function referenceModel(fixture: Fixture): RefModel {
  switch (fixture.format) {
    case 'gpt2': return gpt2(fixture);
    case 'llama': return llama(fixture);
    case 'llama2c': return llama2c(fixture);
  }
}
