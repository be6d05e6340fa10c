/**
 * Hugging Face checkpoint directories (config.json + model.safetensors, or a sharded
 * model.safetensors.index.json) for GPT-2 and Llama-shaped models, mapped onto the one
 * ModelConfig and the canonical WeightMap; families with more to them have a file each in families/.
 */
import { join } from 'node:path';
import type { ModelConfig } from '../config.ts';
import { transpose2d, type WeightMap } from '../weights.ts';
import { LoadError } from './errors.ts';
import {
  activationFunction, checkedConfig, checkWeights, columnsToHeads, ConfigFields, isObject, linearToHeads,
  linearToHeadsOut, readJsonFile, reshape, sliceFlat, tiedUnembed, tokenizerJsonIn, withTensorSource,
  type CheckpointFormat, type LoadCheckpointOptions, type LoadedCheckpoint, type TensorSource,
} from './checkpoint.ts';
import { GEMMA2_ARCHITECTURES, GEMMA2_TYPES, GEMMA3_ARCHITECTURES, GEMMA3_TYPES, gemmaConfig, gemmaTextFields, gemmaWeights, type GemmaFamily } from './families/gemma.ts';
import { gptNeoxConfig, gptNeoxWeights } from './families/gptneox.ts';
import { olmo2Config, olmo2Weights } from './families/olmo2.ts';
import { phi3Config, phi3Weights } from './families/phi3.ts';
import { qwen3Config, qwen3Weights } from './families/qwen3.ts';

export type HuggingFaceArchitecture = 'gpt2' | 'llama' | 'gptneox' | 'phi3' | 'qwen3' | 'olmo2' | GemmaFamily;

const GPT2_TYPES = new Set(['gpt2']);
const GPT2_ARCHITECTURES = new Set(['GPT2LMHeadModel', 'GPT2Model']);
/** Mistral and Qwen2 store the same tensors as Llama under the same names. */
const LLAMA_TYPES = new Set(['llama', 'mistral', 'qwen2']);
const LLAMA_ARCHITECTURES = new Set(['LlamaForCausalLM', 'LlamaModel', 'MistralForCausalLM', 'Qwen2ForCausalLM']);

/** The families with a file of their own under families/, by model_type and by architecture name. */
const FAMILY_TYPES: Record<string, HuggingFaceArchitecture> = {
  gpt_neox: 'gptneox',
  phi3: 'phi3',
  qwen3: 'qwen3',
  olmo2: 'olmo2',
};
const FAMILY_ARCHITECTURES: Record<string, HuggingFaceArchitecture> = {
  GPTNeoXForCausalLM: 'gptneox',
  Phi3ForCausalLM: 'phi3',
  Qwen3ForCausalLM: 'qwen3',
  Olmo2ForCausalLM: 'olmo2',
};

/** How one architecture's config.json and tensors become a ModelConfig and the canonical weights. */
interface ArchitectureLoader {
  config(fields: ConfigFields): ModelConfig;
  weights(config: ModelConfig, source: TensorSource, fields: ConfigFields): { weights: WeightMap; tied: boolean };
  format: CheckpointFormat;
}

const attentionBias = (fields: ConfigFields) => fields.bool('attention_bias', false);

/** Gemma 3's multimodal checkpoints keep the text model's config under text_config. */
function gemmaLoader(family: GemmaFamily): ArchitectureLoader {
  return { config: (fields) => gemmaConfig(gemmaTextFields(fields), family), weights: (config, source) => gemmaWeights(config, source), format: `huggingface-${family}` };
}

const LOADERS: Record<HuggingFaceArchitecture, ArchitectureLoader> = {
  gpt2: { config: gpt2Config, weights: (config, source) => gpt2Weights(config, source), format: 'huggingface-gpt2' },
  llama: { config: llamaConfig, weights: (config, source, fields) => llamaWeights(config, source, attentionBias(fields)), format: 'huggingface-llama' },
  qwen3: { config: qwen3Config, weights: (config, source, fields) => qwen3Weights(config, source, attentionBias(fields)), format: 'huggingface-qwen3' },
  // transformers' GPTNeoXConfig defaults attention_bias to true (Pythia has the biases).
  gptneox: { config: gptNeoxConfig, weights: (config, source, fields) => gptNeoxWeights(config, source, fields.bool('attention_bias', true)), format: 'huggingface-gptneox' },
  phi3: { config: phi3Config, weights: (config, source) => phi3Weights(config, source), format: 'huggingface-phi3' },
  gemma2: gemmaLoader('gemma2'),
  gemma3: gemmaLoader('gemma3'),
  olmo2: { config: olmo2Config, weights: (config, source, fields) => olmo2Weights(config, source, attentionBias(fields)), format: 'huggingface-olmo2' },
};

export const SUPPORTED_HF_ARCHITECTURES = 'GPT-2 (model_type "gpt2" / GPT2LMHeadModel), Llama (model_type "llama", "mistral" or "qwen2" / LlamaForCausalLM), '
  + 'GPT-NeoX / Pythia (model_type "gpt_neox" / GPTNeoXForCausalLM), Phi-3 (model_type "phi3" / Phi3ForCausalLM), '
  + 'Qwen3 (model_type "qwen3" / Qwen3ForCausalLM), OLMo 2 (model_type "olmo2" / Olmo2ForCausalLM), '
  + 'Gemma 2 (model_type "gemma2" / Gemma2ForCausalLM) and Gemma 3 (model_type "gemma3_text" / Gemma3ForCausalLM)';

/** Which supported architecture a parsed HF config.json describes, or undefined. */
export function huggingFaceArchitecture(raw: Record<string, unknown>): HuggingFaceArchitecture | undefined {
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : undefined;
  const architectures = Array.isArray(raw.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  if (modelType !== undefined) {
    if (GPT2_TYPES.has(modelType)) return 'gpt2';
    if (LLAMA_TYPES.has(modelType)) return 'llama';
    if (Object.hasOwn(FAMILY_TYPES, modelType)) return FAMILY_TYPES[modelType];
    if (GEMMA2_TYPES.has(modelType)) return 'gemma2';
    if (GEMMA3_TYPES.has(modelType)) return 'gemma3';
  }
  if (architectures.some((a) => GPT2_ARCHITECTURES.has(a))) return 'gpt2';
  if (architectures.some((a) => LLAMA_ARCHITECTURES.has(a))) return 'llama';
  const family = architectures.find((a) => Object.hasOwn(FAMILY_ARCHITECTURES, a));
  if (family !== undefined) return FAMILY_ARCHITECTURES[family];
  if (architectures.some((a) => GEMMA2_ARCHITECTURES.has(a))) return 'gemma2';
  if (architectures.some((a) => GEMMA3_ARCHITECTURES.has(a))) return 'gemma3';
  return undefined;
}

export function describeArchitecture(raw: Record<string, unknown>): string {
  return `model_type ${JSON.stringify(raw.model_type ?? null)}, architectures ${JSON.stringify(raw.architectures ?? null)}`;
}

// ───────────────────────────── configs ─────────────────────────────

export function gpt2Config(fields: ConfigFields): ModelConfig {
  const dModel = fields.int('n_embd');
  const nHeads = fields.int('n_head');
  if (dModel % nHeads !== 0) throw new LoadError(`${fields.path}: n_embd (${dModel}) is not a multiple of n_head (${nHeads})`);
  if (fields.bool('scale_attn_by_inverse_layer_idx', false)) {
    throw new LoadError(`${fields.path}: scale_attn_by_inverse_layer_idx = true is not supported`);
  }
  const config: ModelConfig = {
    family: 'gpt2',
    dModel,
    nLayers: fields.int('n_layer'),
    nHeads,
    nKvHeads: nHeads,
    dHead: dModel / nHeads,
    dMlp: fields.optionalInt('n_inner', 4 * dModel),
    dVocab: fields.int('vocab_size'),
    nCtx: fields.int('n_positions', 'n_ctx'),
    actFn: activationFunction(fields, 'activation_function', 'gelu_new'),
    gatedMlp: false,
    normType: 'layernorm',
    eps: fields.number('layer_norm_epsilon', 1e-5),
    positional: 'learned',
    rotaryBase: 10000,
    rotaryDim: 0,
    rotaryPairing: 'half',
    tiedEmbeddings: fields.bool('tie_word_embeddings', true),
    attnOnly: false,
    defaultPrependBos: true,
    ...specialTokenIds(fields),
  };
  return config;
}

export function llamaConfig(fields: ConfigFields): ModelConfig {
  const dModel = fields.int('hidden_size');
  const nHeads = fields.int('num_attention_heads');
  if (!fields.has('head_dim') && dModel % nHeads !== 0) {
    throw new LoadError(`${fields.path}: hidden_size (${dModel}) is not a multiple of num_attention_heads (${nHeads}) and there is no head_dim`);
  }
  const dHead = fields.optionalInt('head_dim', dModel / nHeads);
  if (fields.has('rope_scaling')) {
    throw new LoadError(`${fields.path}: rope_scaling ${JSON.stringify(fields.raw.rope_scaling)} is not supported (plain rotary only)`);
  }
  if (fields.bool('mlp_bias', false)) throw new LoadError(`${fields.path}: mlp_bias = true is not supported`);
  if (fields.has('partial_rotary_factor') && fields.number('partial_rotary_factor', 1) !== 1) {
    throw new LoadError(`${fields.path}: partial_rotary_factor ${String(fields.raw.partial_rotary_factor)} is not supported`);
  }
  let nCtx = fields.int('max_position_embeddings');
  // Mistral-style sliding-window attention equals full attention within the window: cap the context there.
  const slidingWindow = fields.raw.sliding_window;
  const useSliding = fields.raw.model_type === 'qwen2' ? fields.bool('use_sliding_window', false) : true;
  if (useSliding && typeof slidingWindow === 'number' && slidingWindow > 0 && slidingWindow < nCtx) nCtx = slidingWindow;
  return {
    family: 'llama',
    dModel,
    nLayers: fields.int('num_hidden_layers'),
    nHeads,
    nKvHeads: fields.optionalInt('num_key_value_heads', nHeads),
    dHead,
    dMlp: fields.int('intermediate_size'),
    dVocab: fields.int('vocab_size'),
    nCtx,
    actFn: activationFunction(fields, 'hidden_act', 'silu'),
    gatedMlp: true,
    normType: 'rmsnorm',
    eps: fields.number('rms_norm_eps', 1e-6),
    positional: 'rotary',
    rotaryBase: fields.number('rope_theta', 10000),
    rotaryDim: dHead,
    rotaryPairing: 'half',
    tiedEmbeddings: fields.bool('tie_word_embeddings', false),
    attnOnly: false,
    defaultPrependBos: true,
    ...specialTokenIds(fields),
  };
}

/** BOS, EOS and pad ids; a list of EOS ids (Llama 3: end of text and end of turn) makes each of them stop generation. */
export function specialTokenIds(fields: ConfigFields): Pick<ModelConfig, 'bosTokenId' | 'eosTokenId' | 'padTokenId' | 'stopTokenIds'> {
  const eos = fields.tokenIds('eos_token_id');
  return {
    bosTokenId: fields.tokenId('bos_token_id'),
    eosTokenId: eos?.[0],
    padTokenId: fields.tokenId('pad_token_id'),
    ...(eos !== undefined && eos.length > 1 && { stopTokenIds: eos }),
  };
}

// ───────────────────────────── weights ─────────────────────────────

/** `transformer.` or `model.` when the checkpoint's names carry it, else ''. */
export function namePrefix(source: TensorSource, prefix: string, probe: string): string {
  if (source.has(prefix + probe)) return prefix;
  if (source.has(probe)) return '';
  throw new LoadError(`${source.location}: missing tensor "${prefix}${probe}" (nor "${probe}")`);
}

export function gpt2Weights(config: ModelConfig, source: TensorSource): { weights: WeightMap; tied: boolean } {
  const { dModel: d, dVocab: v, nHeads: n, dHead: dh, dMlp } = config;
  const p = namePrefix(source, 'transformer.', 'wte.weight');
  const w: WeightMap = new Map();
  const embed = source.get(`${p}wte.weight`, [v, d]);
  w.set('embed.W_E', embed);
  w.set('pos_embed.W_pos', source.get(`${p}wpe.weight`, [config.nCtx, d]));
  for (let l = 0; l < config.nLayers; l++) {
    const h = `${p}h.${l}`;
    const b = `blocks.${l}`;
    w.set(`${b}.ln1.w`, source.get(`${h}.ln_1.weight`, [d]));
    w.set(`${b}.ln1.b`, source.get(`${h}.ln_1.bias`, [d]));
    // c_attn is Conv1D ([in, out]): columns are Q | K | V, each head-major.
    const cAttn = source.get(`${h}.attn.c_attn.weight`, [d, 3 * d]);
    w.set(`${b}.attn.W_Q`, columnsToHeads(cAttn, n, dh, 0));
    w.set(`${b}.attn.W_K`, columnsToHeads(cAttn, n, dh, d));
    w.set(`${b}.attn.W_V`, columnsToHeads(cAttn, n, dh, 2 * d));
    const cAttnBias = source.get(`${h}.attn.c_attn.bias`, [3 * d]);
    w.set(`${b}.attn.b_Q`, sliceFlat(cAttnBias, 0, [n, dh]));
    w.set(`${b}.attn.b_K`, sliceFlat(cAttnBias, d, [n, dh]));
    w.set(`${b}.attn.b_V`, sliceFlat(cAttnBias, 2 * d, [n, dh]));
    // c_proj is [in = nHeads*dHead, out]: rows are head-major already.
    w.set(`${b}.attn.W_O`, reshape(source.get(`${h}.attn.c_proj.weight`, [d, d]), [n, dh, d]));
    w.set(`${b}.attn.b_O`, source.get(`${h}.attn.c_proj.bias`, [d]));
    w.set(`${b}.ln2.w`, source.get(`${h}.ln_2.weight`, [d]));
    w.set(`${b}.ln2.b`, source.get(`${h}.ln_2.bias`, [d]));
    w.set(`${b}.mlp.W_in`, source.get(`${h}.mlp.c_fc.weight`, [d, dMlp]));
    w.set(`${b}.mlp.b_in`, source.get(`${h}.mlp.c_fc.bias`, [dMlp]));
    w.set(`${b}.mlp.W_out`, source.get(`${h}.mlp.c_proj.weight`, [dMlp, d]));
    w.set(`${b}.mlp.b_out`, source.get(`${h}.mlp.c_proj.bias`, [d]));
  }
  w.set('ln_final.w', source.get(`${p}ln_f.weight`, [d]));
  w.set('ln_final.b', source.get(`${p}ln_f.bias`, [d]));
  const tied = config.tiedEmbeddings || !source.has('lm_head.weight');
  w.set('unembed.W_U', tied ? tiedUnembed(embed) : transpose2d(source.get('lm_head.weight', [v, d])));
  return { weights: w, tied };
}

/** Which of a layer's stored RMSNorms become ln1 and ln2 (OLMo 2 stores its post-sublayer norms under other names). */
export interface LlamaLayerNormNames {
  ln1: string;
  ln2: string;
}

export function llamaWeights(
  config: ModelConfig, source: TensorSource, attentionBias: boolean,
  norms: LlamaLayerNormNames = { ln1: 'input_layernorm', ln2: 'post_attention_layernorm' },
): { weights: WeightMap; tied: boolean } {
  const { dModel: d, dVocab: v, nHeads: n, nKvHeads: nkv, dHead: dh, dMlp } = config;
  const p = namePrefix(source, 'model.', 'embed_tokens.weight');
  const w: WeightMap = new Map();
  const embed = source.get(`${p}embed_tokens.weight`, [v, d]);
  w.set('embed.W_E', embed);
  // Biases: required when the config says attention_bias, else taken if present (Qwen2 has q/k/v only).
  const bias = (name: string, shape: number[]) => (attentionBias ? source.get(name, shape) : source.optional(name, shape));
  for (let l = 0; l < config.nLayers; l++) {
    const h = `${p}layers.${l}`;
    const b = `blocks.${l}`;
    w.set(`${b}.ln1.w`, source.get(`${h}.${norms.ln1}.weight`, [d]));
    // nn.Linear weights are [out, in]; out = head*dHead + j.
    w.set(`${b}.attn.W_Q`, linearToHeads(source.get(`${h}.self_attn.q_proj.weight`, [n * dh, d]), n, dh));
    w.set(`${b}.attn.W_K`, linearToHeads(source.get(`${h}.self_attn.k_proj.weight`, [nkv * dh, d]), nkv, dh));
    w.set(`${b}.attn.W_V`, linearToHeads(source.get(`${h}.self_attn.v_proj.weight`, [nkv * dh, d]), nkv, dh));
    w.set(`${b}.attn.W_O`, linearToHeadsOut(source.get(`${h}.self_attn.o_proj.weight`, [d, n * dh]), n, dh));
    const bQ = bias(`${h}.self_attn.q_proj.bias`, [n * dh]);
    const bK = bias(`${h}.self_attn.k_proj.bias`, [nkv * dh]);
    const bV = bias(`${h}.self_attn.v_proj.bias`, [nkv * dh]);
    const bO = bias(`${h}.self_attn.o_proj.bias`, [d]);
    if (bQ) w.set(`${b}.attn.b_Q`, reshape(bQ, [n, dh]));
    if (bK) w.set(`${b}.attn.b_K`, reshape(bK, [nkv, dh]));
    if (bV) w.set(`${b}.attn.b_V`, reshape(bV, [nkv, dh]));
    if (bO) w.set(`${b}.attn.b_O`, bO);
    w.set(`${b}.ln2.w`, source.get(`${h}.${norms.ln2}.weight`, [d]));
    w.set(`${b}.mlp.W_gate`, transpose2d(source.get(`${h}.mlp.gate_proj.weight`, [dMlp, d])));
    w.set(`${b}.mlp.W_in`, transpose2d(source.get(`${h}.mlp.up_proj.weight`, [dMlp, d])));
    w.set(`${b}.mlp.W_out`, transpose2d(source.get(`${h}.mlp.down_proj.weight`, [d, dMlp])));
  }
  w.set('ln_final.w', source.get(`${p}norm.weight`, [d]));
  const tied = config.tiedEmbeddings || !source.has('lm_head.weight');
  w.set('unembed.W_U', tied ? tiedUnembed(embed) : transpose2d(source.get('lm_head.weight', [v, d])));
  return { weights: w, tied };
}

// ───────────────────────────── the directory ─────────────────────────────

/**
 * Loads a Hugging Face checkpoint directory of a supported architecture. `rawConfig` is config.json
 * already parsed (detection reads it); otherwise it is read here.
 */
export function loadHuggingFace(dir: string, rawConfig?: unknown, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const configPath = join(dir, 'config.json');
  const raw = rawConfig ?? readJsonFile(configPath);
  if (!isObject(raw)) throw new LoadError(`${configPath}: config is not a JSON object`);
  const architecture = huggingFaceArchitecture(raw);
  if (!architecture) {
    throw new LoadError(`${configPath}: unknown architecture (${describeArchitecture(raw)}); supported: ${SUPPORTED_HF_ARCHITECTURES}`);
  }
  const loader = LOADERS[architecture];
  const fields = new ConfigFields(raw, configPath);
  const config = checkedConfig(loader.config(fields), configPath);
  options.checkConfig?.(config);
  const { weights, tied } = withTensorSource(dir, (source) => loader.weights(config, source, fields));
  config.tiedEmbeddings = tied;
  checkWeights(config, weights, dir);
  return { config, weights, format: loader.format, source: dir, tokenizerPath: tokenizerJsonIn(dir) };
}
