/**
 * The one model configuration every family maps onto. Field names follow
 * TransformerLens' HookedTransformerConfig in camelCase.
 */
export type NormType = 'layernorm' | 'rmsnorm';
export type PositionalType = 'learned' | 'rotary';
export type ActivationFunction = 'gelu_new' | 'gelu' | 'relu' | 'silu';
/**
 * Which pairs of dimensions a rotary embedding rotates together inside a head.
 * `half`: (i, i + d/2), Hugging Face's convention. `adjacent`: (2i, 2i + 1), the
 * original Meta / llama2.c convention. Each checkpoint keeps its own order.
 */
export type RotaryPairing = 'half' | 'adjacent';
export type ModelFamily = 'gpt2' | 'llama' | 'llama2c' | 'hooklens' | 'gptneox' | 'phi3' | 'qwen3' | 'olmo2' | 'gemma2' | 'gemma3';
/**
 * RMSNorm of queries and keys after their projections (TransformerLens' attn.q_norm / attn.k_norm).
 * `head`: over d_head, each head on its own (Qwen3, Gemma 3). `full`: over the whole
 * projection, n_heads·d_head for queries and n_kv_heads·d_head for keys (OLMo 2).
 */
export type QkNorm = 'head' | 'full';
/**
 * Where a block's ln1 / ln2 sit. `pre`: they normalise each sublayer's input (GPT-2, Llama).
 * `post`: they normalise each sublayer's output before it joins the residual stream (OLMo 2):
 * resid_mid = resid_pre + ln1(attn(resid_pre)).
 */
export type NormPlacement = 'pre' | 'post';

/** What `hooklens info` and the dashboard call each family. */
export const FAMILY_NAMES: Readonly<Record<ModelFamily, string>> = {
  gpt2: 'GPT-2',
  llama: 'Llama',
  llama2c: 'llama2.c',
  hooklens: 'hooklens',
  gptneox: 'GPT-NeoX / Pythia',
  phi3: 'Phi-3',
  qwen3: 'Qwen3',
  olmo2: 'OLMo 2',
  gemma2: 'Gemma 2',
  gemma3: 'Gemma 3',
};
/** TransformerLens' attn_types: a local layer attends only to the last `windowSize` positions. */
export type AttentionType = 'global' | 'local';

export interface ModelConfig {
  family: ModelFamily;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Key/value heads; smaller than nHeads for grouped-query attention. */
  nKvHeads: number;
  dHead: number;
  dMlp: number;
  dVocab: number;
  nCtx: number;
  actFn: ActivationFunction;
  /** SwiGLU-style MLP: act(x W_gate) * (x W_in). */
  gatedMlp: boolean;
  normType: NormType;
  eps: number;
  positional: PositionalType;
  rotaryBase: number;
  rotaryDim: number;
  rotaryPairing: RotaryPairing;
  tiedEmbeddings: boolean;
  attnOnly: boolean;
  /** Whether `toTokens` prepends BOS unless told otherwise (per family; TL users trip on this). */
  defaultPrependBos: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
  /**
   * Tokens at which generation stops (default: the end-of-sequence token). llama2.c models
   * stop at BOS: their training stories are delimited by BOS, and run.c stops there.
   */
  stopTokenIds?: readonly number[];
  /** q/k norms after the projections, before rotary; absent = none. */
  qkNorm?: QkNorm;
  /** Absent = 'pre'. */
  normPlacement?: NormPlacement;
  /**
   * GPT-NeoX's parallel residual: attention and MLP both read resid_pre (through ln1 and ln2)
   * and resid_post = resid_pre + attn_out + mlp_out, so there is no hook_resid_mid. Absent = sequential.
   */
  parallelResidual?: boolean;
  /** Gemma 2/3: RMSNorms ln1_post / ln2_post on the attention and MLP outputs, before hook_attn_out / hook_mlp_out (TL use_normalization_before_and_after). */
  sandwichNorms?: boolean;
  /** Multiplies the token embedding before hook_embed (Gemma: √d_model in the compute dtype, as Hugging Face does). */
  embedScale?: number;
  /** Attention scores are q·k / attnScale (TL attn_scale; default √dHead; Gemma: √query_pre_attn_scalar). */
  attnScale?: number;
  /** Scores become cap·tanh(scores / cap) before masking (TL attn_scores_soft_cap; Gemma 2 attn_logit_softcapping). */
  attnScoresSoftCap?: number;
  /** Logits become cap·tanh(logits / cap) (TL output_logits_soft_cap; Gemma 2 final_logit_softcapping). */
  outputLogitsSoftCap?: number;
  /** Per layer (length nLayers); absent: every layer global. */
  attnTypes?: readonly AttentionType[];
  /** How many positions (the query's own included) a local layer's query sees. */
  windowSize?: number;
  /** Rotary base of the local layers (Gemma 3 rope_local_base_freq); global layers use rotaryBase. */
  rotaryBaseLocal?: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Checks internal consistency; throws a ConfigError naming the first bad field. */
export function validateConfig(config: ModelConfig): ModelConfig {
  const positive: (keyof ModelConfig)[] = ['dModel', 'nLayers', 'nHeads', 'nKvHeads', 'dHead', 'dVocab', 'nCtx'];
  if (!config.attnOnly) positive.push('dMlp');
  for (const key of positive) {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ConfigError(`config.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (config.nHeads % config.nKvHeads !== 0) {
    throw new ConfigError(`config.nHeads (${config.nHeads}) must be a multiple of config.nKvHeads (${config.nKvHeads})`);
  }
  if (config.positional === 'rotary' && (config.rotaryDim <= 0 || config.rotaryDim > config.dHead || config.rotaryDim % 2 !== 0)) {
    throw new ConfigError(`config.rotaryDim (${config.rotaryDim}) must be even and at most dHead (${config.dHead})`);
  }
  if (config.qkNorm !== undefined && config.qkNorm !== 'head' && config.qkNorm !== 'full') {
    throw new ConfigError(`config.qkNorm must be 'head' or 'full', got ${JSON.stringify(config.qkNorm)}`);
  }
  if (config.qkNorm !== undefined && config.normType !== 'rmsnorm') throw new ConfigError(`config.qkNorm needs normType 'rmsnorm', got '${config.normType}'`);
  if (config.normPlacement !== undefined && config.normPlacement !== 'pre' && config.normPlacement !== 'post') {
    throw new ConfigError(`config.normPlacement must be 'pre' or 'post', got ${JSON.stringify(config.normPlacement)}`);
  }
  if (config.parallelResidual !== undefined && typeof config.parallelResidual !== 'boolean') {
    throw new ConfigError(`config.parallelResidual must be true or false, got ${JSON.stringify(config.parallelResidual)}`);
  }
  if (config.parallelResidual && config.attnOnly) throw new ConfigError('config.parallelResidual needs an MLP, but config.attnOnly is true');
  if (!(config.eps > 0)) throw new ConfigError(`config.eps must be positive, got ${config.eps}`);
  validateGemmaFields(config);
  return config;
}

function validateGemmaFields(config: ModelConfig): void {
  for (const key of ['embedScale', 'attnScale', 'attnScoresSoftCap', 'outputLogitsSoftCap', 'rotaryBaseLocal'] as const) {
    const value = config[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new ConfigError(`config.${key} must be a positive number, got ${String(value)}`);
    }
  }
  const types = config.attnTypes;
  if (types === undefined) return;
  if (types.length !== config.nLayers || types.some((type) => type !== 'global' && type !== 'local')) {
    throw new ConfigError(`config.attnTypes must list 'global' or 'local' for each of the ${config.nLayers} layers, got ${JSON.stringify(types)}`);
  }
  const window = config.windowSize;
  if (types.includes('local') && !(typeof window === 'number' && Number.isInteger(window) && window > 0)) {
    throw new ConfigError(`config.windowSize must be a positive integer when a layer is local, got ${String(window)}`);
  }
}
