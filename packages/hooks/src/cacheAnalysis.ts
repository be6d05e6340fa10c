/**
 * After TransformerLens' ActivationCache analysis helpers (accumulated_resid, decompose_resid,
 * stack_head_results, apply_ln_to_stack, logit_attrs), as functions over a cache from
 * `runWithCache` and its model. Two definitions differ from TransformerLens 3 (README,
 * Differences from TransformerLens): `applyLn` at the final layer divides by the cached
 * scale (TL's accumulated_resid recomputes ln_final per component), and logitAttrs
 * multiplies by ln_final.w (TL's logit_attrs expects it folded into W_U).
 *
 * Stacks are [components, batch, pos, d_model] with one label per component, named as
 * TransformerLens names them. `position` (negative counts from the end) keeps that one
 * position: the pos axis then has length 1 rather than disappearing, so every stack has the
 * same rank.
 *
 * Ownership: every tensor these functions return belongs to the caller (dispose it); the
 * cache's tensors are only read. Nothing else is left allocated.
 *
 * @example
 * const tokens = model.toTokens('Once upon a time');
 * const { logits, cache } = model.runWithCache(tokens);
 * const { labels, stack } = decomposeResid(model, cache, { applyLn: true, position: -1 });
 * const attrs = logitAttrs(model, stack, { answer: model.toTokens(' there', { prependBos: false })[0] });
 * console.log(labels, attrs.arraySync()); // [components, batch, 1]: each component's direct effect on the logit
 * tf.dispose([logits, stack, attrs]); cache.dispose();
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationCache, HookedTransformer, HookName } from '@hooklens/core';
import { ToolInputError } from './tokens.ts';

export interface ResidualStack {
  /** One per component, TransformerLens style: '0_pre', '0_attn_out', 'L0H3', 'final_post', … */
  labels: string[];
  /** [components, batch, pos, d_model]; owned by the caller. */
  stack: tf.Tensor4D;
}

export interface PositionOption {
  /** Keep only this position (negative: from the end); the pos axis keeps length 1. */
  position?: number;
}

export interface AccumulatedResidOptions extends PositionOption {
  /** Up to and including the input of this layer; nLayers (the default) adds the final residual. */
  layer?: number;
  /** Also each layer's resid_mid (before its MLP). */
  includeMid?: boolean;
  /**
   * Divide the stack by the cached scale of the norm that reads `layer` (see applyLnToStack),
   * also at the final layer, where TransformerLens 3's accumulated_resid instead puts each
   * component through ln_final with its own statistics (that is what logitLens does).
   */
  applyLn?: boolean;
}

export interface DecomposeResidOptions extends PositionOption {
  /** Components writing to the input of this layer (default nLayers: the final residual). */
  layer?: number;
  /** Which block outputs to include; the embeddings are always included (as in TransformerLens). */
  mode?: 'all' | 'attn' | 'mlp';
  applyLn?: boolean;
}

export interface StackHeadResultsOptions extends PositionOption {
  /** Heads of layers below this one (default nLayers: all heads). */
  layer?: number;
  applyLn?: boolean;
}

export interface ApplyLnOptions extends PositionOption {
  /** Whose cached scale to use: layer < nLayers → blocks.layer.ln1, nLayers (default) → ln_final. */
  layer?: number;
}

/** The residual stream at each layer boundary, labelled as TransformerLens' accumulated_resid (see `applyLn` for where it differs). */
export function accumulatedResid(model: HookedTransformer, cache: ActivationCache, options: AccumulatedResidOptions = {}): ResidualStack {
  const { nLayers, attnOnly } = model.config;
  const layer = checkLayer(options.layer ?? nLayers, nLayers);
  if (options.includeMid && model.config.parallelResidual) throw new ToolInputError('includeMid: this model has a parallel residual (attention and MLP both read resid_pre), so there is no resid_mid');
  const names: HookName[] = [];
  const labels: string[] = [];
  for (let l = 0; l <= layer; l++) {
    if (l === nLayers) {
      names.push(`blocks.${nLayers - 1}.hook_resid_post`);
      labels.push('final_post');
      continue;
    }
    names.push(`blocks.${l}.hook_resid_pre`);
    labels.push(`${l}_pre`);
    if (options.includeMid && !attnOnly && l < layer) {
      names.push(`blocks.${l}.hook_resid_mid`);
      labels.push(`${l}_mid`);
    }
  }
  return { labels, stack: buildStack(model, cache, names, { ...options, layer }) };
}

/** What each embedding and block output wrote to the residual stream: decompose_resid. */
export function decomposeResid(model: HookedTransformer, cache: ActivationCache, options: DecomposeResidOptions = {}): ResidualStack {
  const { nLayers, attnOnly, positional } = model.config;
  const layer = checkLayer(options.layer ?? nLayers, nLayers);
  const mode = options.mode ?? 'all';
  if (!['all', 'attn', 'mlp'].includes(mode)) throw new ToolInputError(`mode must be 'all', 'attn' or 'mlp', got '${String(mode)}'`);
  const names: HookName[] = ['hook_embed'];
  const labels = ['embed'];
  if (positional === 'learned') {
    names.push('hook_pos_embed');
    labels.push('pos_embed');
  }
  for (let l = 0; l < layer; l++) {
    if (mode !== 'mlp') {
      names.push(`blocks.${l}.hook_attn_out`);
      labels.push(`${l}_attn_out`);
    }
    if (mode !== 'attn' && !attnOnly) {
      names.push(`blocks.${l}.hook_mlp_out`);
      labels.push(`${l}_mlp_out`);
    }
  }
  return { labels, stack: buildStack(model, cache, names, { ...options, layer }) };
}

/**
 * Each head's output (hook_result, without b_O) as its own component: stack_head_results.
 * Needs `blocks.L.attn.hook_result` in the cache. When ln1 normalises the attention output
 * (normPlacement 'post', OLMo 2) each head's result goes through that RMSNorm linearised at
 * its cached scale (result / ln1.hook_scale · ln1.w, so `blocks.L.ln1.hook_scale` must be
 * cached too): what the head writes to the residual stream, summing with the layer's b_O
 * term to hook_attn_out. TransformerLens returns the raw hook_result there.
 */
export function stackHeadResults(model: HookedTransformer, cache: ActivationCache, options: StackHeadResultsOptions = {}): ResidualStack {
  const { nLayers, nHeads } = model.config;
  const layer = checkLayer(options.layer ?? nLayers, nLayers);
  const labels: string[] = [];
  for (let l = 0; l < layer; l++) for (let h = 0; h < nHeads; h++) labels.push(`L${l}H${h}`);
  const results = Array.from({ length: layer }, (_, l) => cache.get<tf.Tensor4D>(`blocks.${l}.attn.hook_result`)); // [batch, pos, head, d_model]
  const written = (result: tf.Tensor4D, l: number): tf.Tensor4D => {
    const factor = attnOutputNorm(model, cache, l);
    return factor ? result.mul(factor.expandDims(2)) : result;
  };
  const batchPos = layer > 0 ? results[0].shape.slice(0, 2) : residualShape(model, cache).slice(0, 2);
  const stack = tf.tidy(() => {
    let stacked: tf.Tensor4D = layer === 0
      ? tf.zeros([0, batchPos[0], batchPos[1], model.config.dModel])
      : tf.concat(results.map((result, l) => written(result, l).transpose([2, 0, 1, 3])), 0) as tf.Tensor4D; // [layer·head, batch, pos, d_model]
    if (options.position !== undefined) stacked = slicePosition(stacked, options.position, 2);
    return options.applyLn ? applyLnToStack(model, cache, stacked, { layer, position: options.position }) : stacked;
  });
  return { labels, stack };
}

/**
 * ln1.w / ln1.hook_scale [batch, pos, d_model] for a layer whose ln1 normalises the attention
 * output (normPlacement 'post'): the RMSNorm as the linear map it is at its cached scale, so
 * the parts of the attention output go through it one by one and still sum. Undefined for a
 * pre-norm model. A tensor the caller owns (call inside tf.tidy).
 */
export function attnOutputNorm(model: HookedTransformer, cache: ActivationCache, layer: number): tf.Tensor3D | undefined {
  if (model.config.normPlacement !== 'post') return undefined;
  const scale = cache.get<tf.Tensor3D>(`blocks.${layer}.ln1.hook_scale`); // [batch, pos, 1]
  return model.parameter<tf.Tensor1D>(`blocks.${layer}.ln1.w`).div(scale) as tf.Tensor3D;
}

/**
 * Puts a stack of residual components through the cached normalisation of the norm that
 * reads `layer` (its ln1, or ln_final; there is no ln2 option), as TransformerLens'
 * apply_ln_to_stack with recompute_ln=False: LayerNorm centres each component over
 * d_model, then every component is divided by the cached `hook_scale` of the full residual.
 * Like TransformerLens it does NOT apply the norm's weight or bias (logitAttrs multiplies by
 * ln_final.w; the bias is a constant shared by all components). Because the scale is the
 * cached one, the normalised components sum to the norm's `hook_normalized`, which (as in
 * TransformerLens 3, for LayerNorm and RMSNorm alike) is also before the weight and bias.
 *
 * `stack` is [..., batch, pos, d_model]; pass the same `position` the stack was cut at.
 * Returns a new tensor, owned by the caller.
 */
export function applyLnToStack<T extends tf.Tensor>(model: HookedTransformer, cache: ActivationCache, stack: T, options: ApplyLnOptions = {}): T {
  const { nLayers, dModel, normType } = model.config;
  const layer = checkLayer(options.layer ?? nLayers, nLayers);
  if (layer < nLayers && model.config.normPlacement === 'post') {
    throw new ToolInputError(`layer ${layer}: no norm reads this model's residual stream before ln_final (its ln1 / ln2 normalise the sublayer outputs); use layer ${nLayers}`);
  }
  const scaleName: HookName = layer === nLayers ? 'ln_final.hook_scale' : `blocks.${layer}.ln1.hook_scale`;
  const cached = cache.get<tf.Tensor3D>(scaleName); // [batch, pos, 1]
  const scaleShape = options.position === undefined ? cached.shape.slice(0, 2) : [cached.shape[0], 1];
  const stackShape = stack.shape.slice(-3);
  if (stack.rank < 3 || stackShape[2] !== dModel || stackShape[0] !== scaleShape[0] || stackShape[1] !== scaleShape[1]) {
    throw new ToolInputError(`stack has shape [${stack.shape.join(', ')}], expected [..., ${scaleShape.join(', ')}, ${dModel}] to match ${scaleName}${options.position === undefined ? '' : ` at position ${options.position}`}`);
  }
  return tf.tidy(() => {
    const scale = options.position === undefined ? cached : slicePosition(cached, options.position, 1);
    const centred = normType === 'layernorm' ? stack.sub(stack.mean(-1, true)) : stack;
    return centred.div(scale) as T;
  });
}

export interface LogitDirection {
  /** Token id, or one per batch row. */
  answer: number | readonly number[];
  /** Subtract this token's direction (logit difference); one id or one per batch row. */
  wrong?: number | readonly number[];
}

/**
 * Each component's direct effect on the answer logit (minus the wrong logit): the dot product
 * of each (already normalised, see applyLnToStack) component with ln_final.w ⊙ (W_U[:, answer]
 * − W_U[:, wrong]). TransformerLens' logit_attrs uses W_U alone because it expects
 * fold_ln, which moves ln_final.w into W_U; multiplying by ln_final.w here gives the same
 * numbers on folded and unfolded models. Biases (ln_final.b, b_U) are not included.
 *
 * stack [..., batch, pos, d_model] → [..., batch, pos], owned by the caller.
 */
export function logitAttrs(model: HookedTransformer, stack: tf.Tensor, direction: LogitDirection): tf.Tensor {
  const { dModel } = model.config;
  if (stack.rank < 3 || stack.shape[stack.rank - 1] !== dModel) {
    throw new ToolInputError(`stack has shape [${stack.shape.join(', ')}], expected [..., batch, pos, ${dModel}]`);
  }
  const batch = stack.shape[stack.rank - 3];
  return tf.tidy(() => {
    let vector = unembedDirection(model, direction.answer, batch, 'answer');
    if (direction.wrong !== undefined) vector = vector.sub(unembedDirection(model, direction.wrong, batch, 'wrong'));
    vector = vector.mul(model.parameter<tf.Tensor1D>('ln_final.w'));
    return stack.mul(vector).sum(-1);
  });
}

/** W_U[:, id] as [d_model], or [batch, 1, d_model] for one id per row (broadcasts over pos). */
function unembedDirection(model: HookedTransformer, ids: number | readonly number[], batch: number, what: string): tf.Tensor {
  const { dVocab } = model.config;
  const list = typeof ids === 'number' ? [ids] : [...ids];
  if (typeof ids !== 'number' && list.length !== batch) throw new ToolInputError(`${what}: ${list.length} token ids for a batch of ${batch} rows`);
  for (const id of list) if (!Number.isInteger(id) || id < 0 || id >= dVocab) throw new ToolInputError(`${what} token id ${id} is out of range [0, ${dVocab})`);
  const columns = model.tokensToResidualDirections(list); // [ids, d_model]
  return typeof ids === 'number' ? columns.reshape([-1]) : columns.reshape([batch, 1, -1]);
}

/** Stacks cached [batch, pos, d_model] activations, cuts the position, applies the norm. */
function buildStack(model: HookedTransformer, cache: ActivationCache, names: HookName[], options: PositionOption & { layer: number; applyLn?: boolean }): tf.Tensor4D {
  const tensors = names.map((name) => cache.get<tf.Tensor3D>(name));
  return tf.tidy(() => {
    let stacked = tf.stack(tensors) as tf.Tensor4D;
    if (options.position !== undefined) stacked = slicePosition(stacked, options.position, 2);
    return options.applyLn ? applyLnToStack(model, cache, stacked, { layer: options.layer, position: options.position }) : stacked;
  });
}

/** The [batch, pos, d_model] shape of the cached residual stream, for empty stacks. */
function residualShape(model: HookedTransformer, cache: ActivationCache): number[] {
  return cache.get('hook_embed').shape;
}

/** Keeps one position (negative: from the end) of `axis`, keeping the axis. */
export function slicePosition<T extends tf.Tensor>(tensor: T, position: number, axis: number): T {
  const length = tensor.shape[axis];
  const index = resolvePosition(position, length);
  const begin = tensor.shape.map((_, i) => (i === axis ? index : 0));
  const size = tensor.shape.map((_, i) => (i === axis ? 1 : -1));
  return tensor.slice(begin, size) as T;
}

/** A position index in [0, length); negative counts from the end. */
export function resolvePosition(position: number, length: number): number {
  const index = position < 0 ? length + position : position;
  if (!Number.isInteger(position) || index < 0 || index >= length) throw new ToolInputError(`position ${position} is outside the prompt's ${length} tokens`);
  return index;
}

function checkLayer(layer: number, nLayers: number): number {
  const resolved = layer === -1 ? nLayers : layer;
  if (!Number.isInteger(resolved) || resolved < 0 || resolved > nLayers) throw new ToolInputError(`layer ${layer} is outside [0, ${nLayers}] (nLayers = the final residual)`);
  return resolved;
}
