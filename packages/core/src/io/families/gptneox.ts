/**
 * GPT-NeoX / Pythia (`GPTNeoXForCausalLM`, model_type "gpt_neox") onto the canonical config
 * and WeightMap, following transformers' modeling_gpt_neox.py: LayerNorms with biases,
 * parallel or sequential residual (`use_parallel_residual`), rotary over the first
 * `rotary_pct` of each head (half-split pairs), exact-erf GELU, an untied `embed_out`.
 */
import type { ModelConfig } from '../../config.ts';
import { transpose2d, type HostTensor, type WeightMap } from '../../weights.ts';
import { LoadError } from '../errors.ts';
import { activationFunction, linearToHeads, linearToHeadsOut, reshape, tiedUnembed, type ConfigFields, type TensorSource } from '../checkpoint.ts';
import { namePrefix, specialTokenIds } from '../huggingface.ts';
import { rotarySettings } from './rotarySettings.ts';

export function gptNeoxConfig(fields: ConfigFields): ModelConfig {
  const dModel = fields.int('hidden_size');
  const nHeads = fields.int('num_attention_heads');
  if (dModel % nHeads !== 0) throw new LoadError(`${fields.path}: hidden_size (${dModel}) is not a multiple of num_attention_heads (${nHeads})`);
  const dHead = dModel / nHeads;
  const { rotaryBase, rotaryDim } = rotarySettings(fields, dHead, {
    base: ['rotary_emb_base', 'rope_theta'], fraction: ['rotary_pct', 'partial_rotary_factor'], defaultBase: 10000, defaultFraction: 0.25,
  });
  return {
    family: 'gptneox',
    dModel,
    nLayers: fields.int('num_hidden_layers'),
    nHeads,
    nKvHeads: nHeads,
    dHead,
    dMlp: fields.int('intermediate_size'),
    dVocab: fields.int('vocab_size'),
    nCtx: fields.int('max_position_embeddings'),
    actFn: activationFunction(fields, 'hidden_act', 'gelu'),
    gatedMlp: false,
    normType: 'layernorm',
    eps: fields.number('layer_norm_eps', 1e-5),
    positional: 'rotary',
    rotaryBase,
    rotaryDim,
    rotaryPairing: 'half',
    tiedEmbeddings: fields.bool('tie_word_embeddings', false),
    attnOnly: false,
    // Pythia was trained on documents without a leading BOS; TransformerLens' default is the same.
    defaultPrependBos: false,
    parallelResidual: fields.bool('use_parallel_residual', true),
    ...specialTokenIds(fields),
  };
}

/**
 * One of query / key / value (part 0 / 1 / 2) out of `query_key_value`, whose output rows are
 * laid out [head, 3, d_head] (the fused output is viewed as (…, head, 3·d_head) and chunked),
 * as an nn.Linear weight [nHeads·dHead, in]; a bias is passed as [3·d_model, 1].
 */
function fusedHeadPart(fused: HostTensor, nHeads: number, dHead: number, part: number): HostTensor {
  const cols = fused.shape[1];
  const out = new Float32Array(nHeads * dHead * cols);
  for (let h = 0; h < nHeads; h++) {
    const from = (h * 3 + part) * dHead * cols;
    out.set(fused.data.subarray(from, from + dHead * cols), h * dHead * cols);
  }
  return { shape: [nHeads * dHead, cols], data: out };
}

export function gptNeoxWeights(config: ModelConfig, source: TensorSource, attentionBias: boolean): { weights: WeightMap; tied: boolean } {
  const { dModel: d, dVocab: v, nHeads: n, dHead: dh, dMlp } = config;
  const p = namePrefix(source, 'gpt_neox.', 'embed_in.weight');
  const w: WeightMap = new Map();
  const embed = source.get(`${p}embed_in.weight`, [v, d]);
  w.set('embed.W_E', embed);
  const parts = ['Q', 'K', 'V'] as const;
  for (let l = 0; l < config.nLayers; l++) {
    const h = `${p}layers.${l}`;
    const b = `blocks.${l}`;
    w.set(`${b}.ln1.w`, source.get(`${h}.input_layernorm.weight`, [d]));
    w.set(`${b}.ln1.b`, source.get(`${h}.input_layernorm.bias`, [d]));
    const qkv = source.get(`${h}.attention.query_key_value.weight`, [3 * d, d]);
    parts.forEach((name, part) => w.set(`${b}.attn.W_${name}`, linearToHeads(fusedHeadPart(qkv, n, dh, part), n, dh)));
    w.set(`${b}.attn.W_O`, linearToHeadsOut(source.get(`${h}.attention.dense.weight`, [d, d]), n, dh));
    if (attentionBias) {
      const qkvBias = reshape(source.get(`${h}.attention.query_key_value.bias`, [3 * d]), [3 * d, 1]);
      parts.forEach((name, part) => w.set(`${b}.attn.b_${name}`, reshape(fusedHeadPart(qkvBias, n, dh, part), [n, dh])));
      w.set(`${b}.attn.b_O`, source.get(`${h}.attention.dense.bias`, [d]));
    }
    w.set(`${b}.ln2.w`, source.get(`${h}.post_attention_layernorm.weight`, [d]));
    w.set(`${b}.ln2.b`, source.get(`${h}.post_attention_layernorm.bias`, [d]));
    w.set(`${b}.mlp.W_in`, transpose2d(source.get(`${h}.mlp.dense_h_to_4h.weight`, [dMlp, d])));
    w.set(`${b}.mlp.b_in`, source.get(`${h}.mlp.dense_h_to_4h.bias`, [dMlp]));
    w.set(`${b}.mlp.W_out`, transpose2d(source.get(`${h}.mlp.dense_4h_to_h.weight`, [d, dMlp])));
    w.set(`${b}.mlp.b_out`, source.get(`${h}.mlp.dense_4h_to_h.bias`, [d]));
  }
  w.set('ln_final.w', source.get(`${p}final_layer_norm.weight`, [d]));
  w.set('ln_final.b', source.get(`${p}final_layer_norm.bias`, [d]));
  // Untied (Pythia) needs embed_out; a missing one is an error, never a silent tie.
  const tied = config.tiedEmbeddings;
  w.set('unembed.W_U', tied ? tiedUnembed(embed) : transpose2d(source.get('embed_out.weight', [v, d])));
  return { weights: w, tied };
}
