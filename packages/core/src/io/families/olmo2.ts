/**
 * OLMo 2 (`Olmo2ForCausalLM`, model_type "olmo2"): Llama's tensors, but its RMSNorms act on
 * each sublayer's OUTPUT (post_attention_layernorm, post_feedforward_layernorm; TransformerLens
 * names them ln1 / ln2) and queries and keys are RMS-normed over the whole projection
 * (q_norm [n_heads·d_head], k_norm [n_kv_heads·d_head]) before the split into heads and rotary.
 */
import type { ModelConfig } from '../../config.ts';
import type { ConfigFields, TensorSource } from '../checkpoint.ts';
import { llamaConfig, llamaWeights } from '../huggingface.ts';
import type { WeightMap } from '../../weights.ts';
import { checkKeyValueHeads, rotaryBase } from './llamaLike.ts';

/** Olmo2Config's default; llamaConfig's is Llama's 1e-6. */
const OLMO2_DEFAULT_RMS_NORM_EPS = 1e-5;
const OLMO2_DEFAULT_ROPE_THETA = 10000;

export function olmo2Config(fields: ConfigFields): ModelConfig {
  checkKeyValueHeads(fields);
  return {
    ...llamaConfig(fields),
    family: 'olmo2',
    eps: fields.number('rms_norm_eps', OLMO2_DEFAULT_RMS_NORM_EPS),
    rotaryBase: rotaryBase(fields, OLMO2_DEFAULT_ROPE_THETA),
    qkNorm: 'full',
    normPlacement: 'post',
  };
}

export function olmo2Weights(config: ModelConfig, source: TensorSource, attentionBias: boolean): { weights: WeightMap; tied: boolean } {
  const loaded = llamaWeights(config, source, attentionBias, { ln1: 'post_attention_layernorm', ln2: 'post_feedforward_layernorm' });
  const { nHeads, nKvHeads, dHead } = config;
  for (let l = 0; l < config.nLayers; l++) {
    const h = `model.layers.${l}.self_attn`;
    loaded.weights.set(`blocks.${l}.attn.q_norm.w`, source.get(`${h}.q_norm.weight`, [nHeads * dHead]));
    loaded.weights.set(`blocks.${l}.attn.k_norm.w`, source.get(`${h}.k_norm.weight`, [nKvHeads * dHead]));
  }
  return loaded;
}
