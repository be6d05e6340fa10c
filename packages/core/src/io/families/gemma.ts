/**
 * Gemma 2 (`Gemma2ForCausalLM`) and Gemma 3 text (`Gemma3ForCausalLM`, or the text half of a
 * `Gemma3ForConditionalGeneration`) checkpoints, mapped as TransformerLens' Gemma conversion
 * does: RMSNorm weights get their 1 added at load (Gemma computes x̂·(1 + w)), the four norms
 * of a block are ln1 / ln1_post / ln2 / ln2_post, and Gemma 3's q/k norms are attn.q_norm /
 * attn.k_norm. The embedding stays tied and unscaled; its √d_model factor is config.embedScale.
 */
import type { AttentionType, ModelConfig } from '../../config.ts';
import { transpose2d, type HostTensor, type WeightMap } from '../../weights.ts';
import { LoadError } from '../errors.ts';
import { activationFunction, ConfigFields, isObject, linearToHeads, linearToHeadsOut, tiedUnembed, type TensorSource } from '../checkpoint.ts';

export type GemmaFamily = 'gemma2' | 'gemma3';

export const GEMMA2_TYPES = new Set(['gemma2']);
export const GEMMA2_ARCHITECTURES = new Set(['Gemma2ForCausalLM']);
export const GEMMA3_TYPES = new Set(['gemma3_text', 'gemma3']);
export const GEMMA3_ARCHITECTURES = new Set(['Gemma3ForCausalLM', 'Gemma3ForConditionalGeneration']);

/**
 * The config fields describing the text model: config.json itself, or its `text_config` for a
 * multimodal Gemma 3 (model_type "gemma3"), whose vision tower is not loaded.
 */
export function gemmaTextFields(fields: ConfigFields): ConfigFields {
  if (fields.raw.model_type !== 'gemma3') return fields;
  const text = fields.raw.text_config;
  if (!isObject(text)) throw new LoadError(`${fields.path}: a multimodal Gemma 3 config (model_type "gemma3") needs a "text_config" object for its language model`);
  return new ConfigFields({ ...text, model_type: 'gemma3_text' }, `${fields.path} (text_config)`);
}

/** Which layers are local: `layer_types` when given, else Hugging Face's default pattern for the family. */
function attentionTypes(fields: ConfigFields, family: GemmaFamily, nLayers: number): AttentionType[] {
  const raw = fields.raw.layer_types;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw) || raw.length !== nLayers || raw.some((t) => t !== 'sliding_attention' && t !== 'full_attention')) {
      throw fields.bad('layer_types', `a list of ${nLayers} "sliding_attention" / "full_attention" entries (num_hidden_layers)`);
    }
    return raw.map((type) => (type === 'sliding_attention' ? 'local' : 'global'));
  }
  // Gemma 2: every other layer local, from layer 0; Gemma 3: sliding_window_pattern - 1 local, then one global.
  // Newer Gemma 3 configs keep the pattern as `_sliding_window_pattern` beside layer_types.
  const patternKey = fields.has('sliding_window_pattern') ? 'sliding_window_pattern' : '_sliding_window_pattern';
  const pattern = family === 'gemma2' ? 2 : fields.optionalInt(patternKey, 6);
  return Array.from({ length: nLayers }, (_, layer) => ((layer + 1) % pattern !== 0 ? 'local' : 'global'));
}

/** rope_theta (and Gemma 3's rope_local_base_freq); any rope scaling is refused, naming its key. */
function rotaryBases(fields: ConfigFields, family: GemmaFamily): { global: number; local: number | undefined } {
  const parameters = fields.raw.rope_parameters;
  if (isObject(parameters)) {
    // transformers 5: {rope_theta, rope_type}, or per layer type for Gemma 3.
    const plain = (value: unknown, key: string): number => {
      if (!isObject(value) || typeof value.rope_theta !== 'number') throw new LoadError(`${fields.path}: config field "${key}" must hold a numeric rope_theta, got ${JSON.stringify(value)}`);
      if (value.rope_type !== undefined && value.rope_type !== 'default') {
        throw new LoadError(`${fields.path}: config field "${key}.rope_type" is ${JSON.stringify(value.rope_type)}; only plain rotary ("default") is supported`);
      }
      return value.rope_theta;
    };
    if (family === 'gemma2' || !('full_attention' in parameters)) return { global: plain(parameters, 'rope_parameters'), local: undefined };
    return { global: plain(parameters.full_attention, 'rope_parameters.full_attention'), local: plain(parameters.sliding_attention, 'rope_parameters.sliding_attention') };
  }
  const scaling = fields.raw.rope_scaling;
  if (scaling !== undefined && scaling !== null && !(isObject(scaling) && (scaling.rope_type ?? scaling.type) === 'default')) {
    throw new LoadError(`${fields.path}: config field "rope_scaling" ${JSON.stringify(scaling)} is not supported (plain rotary only)`);
  }
  return { global: fields.number('rope_theta', family === 'gemma2' ? 10000 : 1_000_000), local: family === 'gemma3' ? fields.number('rope_local_base_freq', 10000) : undefined };
}

export function gemmaConfig(fields: ConfigFields, family: GemmaFamily): ModelConfig {
  const dModel = fields.int('hidden_size');
  const nHeads = fields.int('num_attention_heads');
  const nKvHeads = fields.optionalInt('num_key_value_heads', nHeads);
  if (nHeads % nKvHeads !== 0) throw new LoadError(`${fields.path}: num_attention_heads (${nHeads}) is not a multiple of num_key_value_heads (${nKvHeads})`);
  const dHead = fields.optionalInt('head_dim', 256);
  const nLayers = fields.int('num_hidden_layers');
  if (fields.bool('attention_bias', false)) throw new LoadError(`${fields.path}: attention_bias = true is not supported (Gemma has no biases)`);
  if (fields.bool('use_bidirectional_attention', false)) throw new LoadError(`${fields.path}: use_bidirectional_attention = true is not supported (causal decoders only)`);
  const attnTypes = attentionTypes(fields, family, nLayers);
  const bases = rotaryBases(fields, family);
  // Gemma 2 configs name the MLP activation hidden_activation (hidden_act is a legacy duplicate).
  const activation = fields.has('hidden_activation') ? 'hidden_activation' : 'hidden_act';
  const queryScalar = fields.number('query_pre_attn_scalar', dHead);
  if (!(queryScalar > 0)) throw fields.bad('query_pre_attn_scalar', 'a positive number');
  const optionalPositive = (name: string): number | undefined => {
    if (!fields.has(name)) return undefined;
    const value = fields.number(name, 0);
    if (!(value > 0)) throw fields.bad(name, 'a positive number or null');
    return value;
  };
  return {
    family,
    dModel,
    nLayers,
    nHeads,
    nKvHeads,
    dHead,
    dMlp: fields.int('intermediate_size'),
    dVocab: fields.int('vocab_size'),
    nCtx: fields.int('max_position_embeddings'),
    actFn: activationFunction(fields, activation, 'gelu_pytorch_tanh'),
    gatedMlp: true,
    normType: 'rmsnorm',
    eps: fields.number('rms_norm_eps', 1e-6),
    positional: 'rotary',
    rotaryBase: bases.global,
    rotaryDim: dHead,
    rotaryPairing: 'half',
    tiedEmbeddings: fields.bool('tie_word_embeddings', true),
    attnOnly: false,
    defaultPrependBos: true,
    bosTokenId: fields.tokenId('bos_token_id'),
    eosTokenId: fields.tokenIds('eos_token_id')?.[0],
    padTokenId: fields.tokenId('pad_token_id'),
    ...(fields.tokenIds('eos_token_id')?.length ?? 0) > 1 && { stopTokenIds: fields.tokenIds('eos_token_id') },
    sandwichNorms: true,
    // Hugging Face multiplies by √hidden_size cast to the compute dtype; hooklens computes in float32.
    embedScale: Math.fround(Math.sqrt(dModel)),
    attnScale: Math.sqrt(queryScalar),
    attnScoresSoftCap: optionalPositive('attn_logit_softcapping'),
    outputLogitsSoftCap: optionalPositive('final_logit_softcapping'),
    attnTypes,
    // Early Gemma 2 configs name it sliding_window_size.
    windowSize: attnTypes.includes('local') ? fields.int('sliding_window', 'sliding_window_size') : undefined,
    rotaryBaseLocal: bases.local,
    ...(family === 'gemma3' && { qkNorm: 'head' as const }),
  };
}

/** A Gemma RMSNorm weight w as the (1 + w) it multiplies by. */
function plusOne(tensor: HostTensor): HostTensor {
  return { shape: tensor.shape, data: tensor.data.map((value) => value + 1) };
}

/** Where the language model's tensors live: `model.` (causal LM) or under a multimodal checkpoint's language model. */
function textPrefix(source: TensorSource): string {
  const prefix = ['model.', 'model.language_model.', 'language_model.model.', ''].find((p) => source.has(`${p}embed_tokens.weight`));
  if (prefix === undefined) throw new LoadError(`${source.location}: missing tensor "model.embed_tokens.weight"`);
  return prefix;
}

export function gemmaWeights(config: ModelConfig, source: TensorSource): { weights: WeightMap; tied: boolean } {
  const { dModel: d, dVocab: v, nHeads: n, nKvHeads: nkv, dHead: dh, dMlp } = config;
  const p = textPrefix(source);
  const w: WeightMap = new Map();
  const embed = source.get(`${p}embed_tokens.weight`, [v, d]);
  w.set('embed.W_E', embed);
  const norm = (name: string, size = d) => plusOne(source.get(name, [size]));
  for (let l = 0; l < config.nLayers; l++) {
    const h = `${p}layers.${l}`;
    const b = `blocks.${l}`;
    w.set(`${b}.ln1.w`, norm(`${h}.input_layernorm.weight`));
    w.set(`${b}.attn.W_Q`, linearToHeads(source.get(`${h}.self_attn.q_proj.weight`, [n * dh, d]), n, dh));
    w.set(`${b}.attn.W_K`, linearToHeads(source.get(`${h}.self_attn.k_proj.weight`, [nkv * dh, d]), nkv, dh));
    w.set(`${b}.attn.W_V`, linearToHeads(source.get(`${h}.self_attn.v_proj.weight`, [nkv * dh, d]), nkv, dh));
    w.set(`${b}.attn.W_O`, linearToHeadsOut(source.get(`${h}.self_attn.o_proj.weight`, [d, n * dh]), n, dh));
    if (config.qkNorm === 'head') {
      w.set(`${b}.attn.q_norm.w`, norm(`${h}.self_attn.q_norm.weight`, dh));
      w.set(`${b}.attn.k_norm.w`, norm(`${h}.self_attn.k_norm.weight`, dh));
    }
    w.set(`${b}.ln1_post.w`, norm(`${h}.post_attention_layernorm.weight`));
    w.set(`${b}.ln2.w`, norm(`${h}.pre_feedforward_layernorm.weight`));
    w.set(`${b}.ln2_post.w`, norm(`${h}.post_feedforward_layernorm.weight`));
    w.set(`${b}.mlp.W_gate`, transpose2d(source.get(`${h}.mlp.gate_proj.weight`, [dMlp, d])));
    w.set(`${b}.mlp.W_in`, transpose2d(source.get(`${h}.mlp.up_proj.weight`, [dMlp, d])));
    w.set(`${b}.mlp.W_out`, transpose2d(source.get(`${h}.mlp.down_proj.weight`, [d, dMlp])));
  }
  w.set('ln_final.w', norm(`${p}norm.weight`));
  const head = ['lm_head.weight', 'language_model.lm_head.weight'].find((name) => source.has(name));
  const tied = config.tiedEmbeddings || head === undefined;
  w.set('unembed.W_U', tied ? tiedUnembed(embed) : transpose2d(source.get(head, [v, d])));
  return { weights: w, tied };
}
