/**
 * Phi-3 (`Phi3ForCausalLM`, model_type "phi3") onto the canonical config and WeightMap,
 * following transformers' modeling_phi3.py: Llama's block with fused projections,
 * `qkv_proj` (rows Q | K | V, K and V at the key/value head count) and `gate_up_proj`
 * (rows gate | up), RMSNorm, SiLU, rotary over `partial_rotary_factor` of each head.
 */
import type { ModelConfig } from '../../config.ts';
import { transpose2d, type WeightMap } from '../../weights.ts';
import { LoadError } from '../errors.ts';
import { activationFunction, linearToHeads, linearToHeadsOut, sliceFlat, tiedUnembed, type ConfigFields, type TensorSource } from '../checkpoint.ts';
import { namePrefix, specialTokenIds } from '../huggingface.ts';
import { rotarySettings } from './rotarySettings.ts';

export function phi3Config(fields: ConfigFields): ModelConfig {
  const dModel = fields.int('hidden_size');
  const nHeads = fields.int('num_attention_heads');
  if (!fields.has('head_dim') && dModel % nHeads !== 0) {
    throw new LoadError(`${fields.path}: hidden_size (${dModel}) is not a multiple of num_attention_heads (${nHeads}) and there is no head_dim`);
  }
  const nKvHeads = fields.optionalInt('num_key_value_heads', nHeads);
  if (nHeads % nKvHeads !== 0) throw new LoadError(`${fields.path}: num_attention_heads (${nHeads}) is not a multiple of num_key_value_heads (${nKvHeads})`);
  const dHead = fields.optionalInt('head_dim', dModel / nHeads);
  const { rotaryBase, rotaryDim } = rotarySettings(fields, dHead, { base: ['rope_theta'], fraction: ['partial_rotary_factor'], defaultBase: 10000, defaultFraction: 1 });
  let nCtx = fields.int('max_position_embeddings');
  // Within the window sliding-window attention is full causal attention (a query sees the
  // `sliding_window` keys ending at itself): cap the context there, as the Llama/Mistral path does.
  if (fields.has('sliding_window')) nCtx = Math.min(nCtx, fields.int('sliding_window'));
  return {
    family: 'phi3',
    dModel,
    nLayers: fields.int('num_hidden_layers'),
    nHeads,
    nKvHeads,
    dHead,
    dMlp: fields.int('intermediate_size'),
    dVocab: fields.int('vocab_size'),
    nCtx,
    actFn: activationFunction(fields, 'hidden_act', 'silu'),
    gatedMlp: true,
    normType: 'rmsnorm',
    eps: fields.number('rms_norm_eps', 1e-5),
    positional: 'rotary',
    rotaryBase,
    rotaryDim,
    rotaryPairing: 'half',
    tiedEmbeddings: fields.bool('tie_word_embeddings', false),
    attnOnly: false,
    defaultPrependBos: true,
    ...specialTokenIds(fields),
  };
}

export function phi3Weights(config: ModelConfig, source: TensorSource): { weights: WeightMap; tied: boolean } {
  const { dModel: d, dVocab: v, nHeads: n, nKvHeads: nkv, dHead: dh, dMlp } = config;
  const p = namePrefix(source, 'model.', 'embed_tokens.weight');
  const w: WeightMap = new Map();
  const embed = source.get(`${p}embed_tokens.weight`, [v, d]);
  w.set('embed.W_E', embed);
  for (let l = 0; l < config.nLayers; l++) {
    const h = `${p}layers.${l}`;
    const b = `blocks.${l}`;
    w.set(`${b}.ln1.w`, source.get(`${h}.input_layernorm.weight`, [d]));
    // nn.Linear [out, in]: whole rows slice out as contiguous blocks.
    const qkv = source.get(`${h}.self_attn.qkv_proj.weight`, [(n + 2 * nkv) * dh, d]);
    w.set(`${b}.attn.W_Q`, linearToHeads(sliceFlat(qkv, 0, [n * dh, d]), n, dh));
    w.set(`${b}.attn.W_K`, linearToHeads(sliceFlat(qkv, n * dh * d, [nkv * dh, d]), nkv, dh));
    w.set(`${b}.attn.W_V`, linearToHeads(sliceFlat(qkv, (n + nkv) * dh * d, [nkv * dh, d]), nkv, dh));
    w.set(`${b}.attn.W_O`, linearToHeadsOut(source.get(`${h}.self_attn.o_proj.weight`, [d, n * dh]), n, dh));
    w.set(`${b}.ln2.w`, source.get(`${h}.post_attention_layernorm.weight`, [d]));
    const gateUp = source.get(`${h}.mlp.gate_up_proj.weight`, [2 * dMlp, d]);
    w.set(`${b}.mlp.W_gate`, transpose2d(sliceFlat(gateUp, 0, [dMlp, d])));
    w.set(`${b}.mlp.W_in`, transpose2d(sliceFlat(gateUp, dMlp * d, [dMlp, d])));
    w.set(`${b}.mlp.W_out`, transpose2d(source.get(`${h}.mlp.down_proj.weight`, [d, dMlp])));
  }
  w.set('ln_final.w', source.get(`${p}norm.weight`, [d]));
  const tied = config.tiedEmbeddings;
  w.set('unembed.W_U', tied ? tiedUnembed(embed) : transpose2d(source.get('lm_head.weight', [v, d])));
  return { weights: w, tied };
}
