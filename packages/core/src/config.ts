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
export type ModelFamily = 'gpt2' | 'llama' | 'llama2c' | 'hooklens' | 'gptneox' | 'phi3';

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
  /**
   * GPT-NeoX's parallel residual: attention and MLP both read resid_pre (through ln1 and ln2)
   * and resid_post = resid_pre + attn_out + mlp_out, so there is no hook_resid_mid. Absent = sequential.
   */
  parallelResidual?: boolean;
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
  if (config.parallelResidual !== undefined && typeof config.parallelResidual !== 'boolean') {
    throw new ConfigError(`config.parallelResidual must be true or false, got ${JSON.stringify(config.parallelResidual)}`);
  }
  if (config.parallelResidual && config.attnOnly) throw new ConfigError('config.parallelResidual needs an MLP, but config.attnOnly is true');
  if (!(config.eps > 0)) throw new ConfigError(`config.eps must be positive, got ${config.eps}`);
  return config;
}
