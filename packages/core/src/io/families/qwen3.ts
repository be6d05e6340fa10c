/**
 * Qwen3 (`Qwen3ForCausalLM`, model_type "qwen3"): Llama's layout plus per-head RMSNorms of
 * queries and keys (self_attn.q_norm / k_norm, weight [head_dim]) before rotary, and a
 * head_dim of its own (Qwen3-0.6B: 16 heads of 128 in a hidden size of 1024).
 */
import type { ModelConfig } from '../../config.ts';
import { ConfigFields, type TensorSource } from '../checkpoint.ts';
import { LoadError } from '../errors.ts';
import { llamaConfig, llamaWeights } from '../huggingface.ts';
import type { WeightMap } from '../../weights.ts';
import { checkKeyValueHeads, contextWithinSlidingWindow, rotaryBase } from './llamaLike.ts';

// Qwen3Config's defaults for fields config.json may leave out (its head_dim is not hidden_size / heads).
const QWEN3_DEFAULT_HEAD_DIM = 128;
const QWEN3_DEFAULT_SLIDING_WINDOW = 4096;
const QWEN3_DEFAULT_MAX_WINDOW_LAYERS = 28;
const QWEN3_DEFAULT_ROPE_THETA = 10000;

export function qwen3Config(fields: ConfigFields): ModelConfig {
  checkKeyValueHeads(fields);
  const dHead = fields.optionalInt('head_dim', QWEN3_DEFAULT_HEAD_DIM);
  const window = qwen3SlidingWindow(fields);
  return {
    // With head_dim filled in, llamaConfig needs no hidden_size / heads split (Qwen3's default is 128, not that).
    ...llamaConfig(new ConfigFields({ ...fields.raw, head_dim: dHead }, fields.path)),
    rotaryBase: rotaryBase(fields, QWEN3_DEFAULT_ROPE_THETA),
    family: 'qwen3',
    dHead,
    rotaryDim: dHead,
    nCtx: contextWithinSlidingWindow(fields, window === undefined ? [] : qwen3SlidingLayers(fields), window),
    qkNorm: 'head',
    // Qwen's tokenizer adds no BOS and TransformerLens' Qwen3 config says default_prepend_bos False.
    defaultPrependBos: false,
  };
}

/** Qwen3Config keeps sliding_window only with use_sliding_window; absent it defaults to 4096, null means none. */
function qwen3SlidingWindow(fields: ConfigFields): number | undefined {
  if (!fields.bool('use_sliding_window', false)) return undefined;
  if (fields.raw.sliding_window === null) return undefined;
  return fields.optionalInt('sliding_window', QWEN3_DEFAULT_SLIDING_WINDOW);
}

/** The layers with a sliding window: layer_types when config.json lists them, else those from max_window_layers on. */
function qwen3SlidingLayers(fields: ConfigFields): number[] {
  const nLayers = fields.int('num_hidden_layers');
  const layerTypes = fields.raw.layer_types;
  if (layerTypes !== undefined && layerTypes !== null) {
    if (!Array.isArray(layerTypes) || layerTypes.length !== nLayers || !layerTypes.every((t) => t === 'full_attention' || t === 'sliding_attention')) {
      throw new LoadError(`${fields.path}: config field "layer_types" must list "full_attention" or "sliding_attention" for each of the ${nLayers} layers, got ${JSON.stringify(layerTypes)}`);
    }
    return layerTypes.flatMap((type, layer) => (type === 'sliding_attention' ? [layer] : []));
  }
  const firstSliding = fields.has('max_window_layers') ? fields.raw.max_window_layers : QWEN3_DEFAULT_MAX_WINDOW_LAYERS;
  if (typeof firstSliding !== 'number' || !Number.isInteger(firstSliding) || firstSliding < 0) throw fields.bad('max_window_layers', 'a non-negative integer');
  return Array.from({ length: Math.max(0, nLayers - firstSliding) }, (_, i) => firstSliding + i);
}

export function qwen3Weights(config: ModelConfig, source: TensorSource, attentionBias: boolean): { weights: WeightMap; tied: boolean } {
  const loaded = llamaWeights(config, source, attentionBias);
  for (let l = 0; l < config.nLayers; l++) {
    const h = `model.layers.${l}.self_attn`;
    loaded.weights.set(`blocks.${l}.attn.q_norm.w`, source.get(`${h}.q_norm.weight`, [config.dHead]));
    loaded.weights.set(`blocks.${l}.attn.k_norm.w`, source.get(`${h}.k_norm.weight`, [config.dHead]));
  }
  return loaded;
}
