/**
 * Direct logit attribution: how much each head, each MLP and each embedding writes, directly,
 * to the answer logit (minus the wrong logit) at one position, through the final norm and
 * the unembedding.
 *
 * The final norm is linearised TransformerLens-style (see applyLnToStack): each component is
 * centred (LayerNorm) and divided by the *cached* ln_final scale of the whole residual, then
 * multiplied by ln_final.w and projected onto W_U[:, answer] − W_U[:, wrong]. Since the
 * scale is the one the model actually used, the parts add up exactly to the model's logit
 * (difference):
 *
 *   total = embed + pos_embed + Σ heads + Σ MLPs + biases
 *   biases = Σ_layers b_O (attention output bias) + ln_final.b · direction + b_U[answer] − b_U[wrong]
 *
 * Each MLP's entry is its whole output (hook_mlp_out, b_out included); each layer's attention
 * entry (`L3 attn`) is its whole output (hook_attn_out) = its heads + its b_O. So the
 * `layers` entries plus `biasTerms.normBias + biasTerms.unembedBias` also sum to `total`.
 *
 * Returns plain data; nothing is left allocated.
 *
 * @example
 * const model = await loadModel('packages/core/models/toy-ioi'); // from the repository root
 * const tokens = model.toTokens('When Mary and John went to the store , John gave a drink to');
 * const dla = directLogitAttribution(model, tokens, { answer: resolveToken(model, 'Mary'), wrong: resolveToken(model, 'John') });
 * console.log(dla.total, dla.layers, dla.heads);
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import { applyLnToStack, attnOutputNorm, decomposeResid, logitAttrs, resolvePosition, slicePosition, stackHeadResults } from './cacheAnalysis.ts';
import { ToolInputError } from './tokens.ts';

export interface DirectLogitAttributionOptions {
  answer: number;
  /** Attribute the difference logit[answer] − logit[wrong]. */
  wrong?: number;
  /** Which position's prediction (default the last; negative counts from the end). */
  position?: number;
}

export interface DirectLogitAttribution {
  /** [layer][head]: each head's hook_result (no b_O). */
  heads: number[][];
  /** 'embed', 'pos_embed' (learned positions only), then 'L0 attn', 'L0 mlp', … (whole outputs). */
  layers: { label: string; value: number }[];
  /** Everything not written by an embedding, a head or an MLP: see biasTerms. */
  biases: number;
  biasTerms: {
    /** Σ over layers of b_O's contribution (the part of `L attn` that is no head's). */
    attnOutBias: number;
    /** ln_final.b · direction (LayerNorm with a bias only). */
    normBias: number;
    /** b_U[answer] − b_U[wrong] (0 without b_U). */
    unembedBias: number;
  };
  /** The model's own logit[answer] (− logit[wrong]) at the position. */
  total: number;
  position: number;
}

export function directLogitAttribution(model: HookedTransformer, tokens: readonly number[], options: DirectLogitAttributionOptions): DirectLogitAttribution {
  const { nLayers, nHeads, dModel, dVocab } = model.config;
  if (!Array.isArray(tokens) || tokens.length === 0) throw new ToolInputError('directLogitAttribution needs one prompt of at least one token id');
  const position = resolvePosition(options.position ?? -1, tokens.length);
  const { answer, wrong } = options;
  for (const [what, id] of [['answer', answer], ['wrong', wrong]] as const) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id >= dVocab)) throw new ToolInputError(`${what} token id ${id} is out of range [0, ${dVocab})`);
  }

  // ln1.hook_scale: a post-norm model's heads and b_O go through ln1 at its cached scale (attnOutputNorm).
  const wanted = /^(hook_embed|hook_pos_embed|blocks\.\d+\.(attn\.hook_result|hook_attn_out|hook_mlp_out|ln1\.hook_scale)|ln_final\.hook_scale)$/;
  const { logits, cache } = model.runWithCache([...tokens], { names: wanted });
  try {
    const values = tf.tidy(() => {
      const direction = { answer, ...(wrong !== undefined && { wrong }) };
      const at = { position };
      const layerStack = decomposeResid(model, cache, { ...at, applyLn: true });
      const headStack = stackHeadResults(model, cache, { ...at, applyLn: true });
      // b_O as a [layers, 1, 1, d_model] stack (post-norm: [layers, batch, 1, d_model], through ln1 as the heads),
      // normalised like the components it belongs to.
      const bO = tf.stack(Array.from({ length: nLayers }, (_, l) => {
        const name = `blocks.${l}.attn.b_O`;
        const bias: tf.Tensor = model.hasParameter(name) ? model.parameter<tf.Tensor1D>(name).reshape([1, 1, dModel]) : tf.zeros([1, 1, dModel]);
        const norm = attnOutputNorm(model, cache, l);
        return norm ? slicePosition(bias.mul(norm), position, 1) : bias;
      })) as tf.Tensor4D;
      const biasStack = applyLnToStack(model, cache, bO, at);
      const logitRow = logits.slice([0, position, 0], [1, 1, dVocab]).reshape([dVocab]);
      const pick = (vector: tf.Tensor1D) => wrong === undefined ? vector.gather([answer]) : vector.gather([answer]).sub(vector.gather([wrong]));
      // W_U[:, answer] (− W_U[:, wrong]): what a vector's logit difference is its dot product with.
      const directions = model.tokensToResidualDirections(wrong === undefined ? [answer] : [answer, wrong]);
      const logitDirection = (wrong === undefined ? directions : directions.slice([0, 0], [1, dModel]).sub(directions.slice([1, 0], [1, dModel]))).reshape([dModel]);
      const directLogit = (vector: tf.Tensor1D) => vector.mul(logitDirection).sum();
      return {
        layers: logitAttrs(model, layerStack.stack, direction).dataSync() as Float32Array,
        labels: layerStack.labels,
        heads: logitAttrs(model, headStack.stack, direction).dataSync() as Float32Array,
        attnOutBias: logitAttrs(model, biasStack, direction).sum().dataSync()[0],
        normBias: model.hasParameter('ln_final.b') ? directLogit(model.parameter<tf.Tensor1D>('ln_final.b')).dataSync()[0] : 0,
        unembedBias: model.hasParameter('unembed.b_U') ? pick(model.parameter<tf.Tensor1D>('unembed.b_U')).dataSync()[0] : 0,
        total: pick(logitRow as tf.Tensor1D).dataSync()[0],
      };
    });
    const biasTerms = { attnOutBias: values.attnOutBias, normBias: values.normBias, unembedBias: values.unembedBias };
    return {
      heads: Array.from({ length: nLayers }, (_, l) => Array.from(values.heads.subarray(l * nHeads, (l + 1) * nHeads))),
      layers: values.labels.map((label, i) => ({ label: layerLabel(label), value: values.layers[i] })),
      biases: biasTerms.attnOutBias + biasTerms.normBias + biasTerms.unembedBias,
      biasTerms,
      total: values.total,
      position,
    };
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

/** decomposeResid's '3_attn_out' → 'L3 attn'. */
function layerLabel(label: string): string {
  const match = /^(\d+)_(attn|mlp)_out$/.exec(label);
  return match ? `L${match[1]} ${match[2]}` : label;
}
