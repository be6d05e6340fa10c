/**
 * Head and MLP ablation: knock out attention heads (at blocks.L.attn.hook_z, one slice of the
 * head axis) and whole MLP layers (at blocks.L.hook_mlp_out), and measure how the next-token
 * loss and, optionally, a logit difference change. `ablationSweep` ablates every head in turn,
 * batching many ablated copies of the prompt into one forward pass.
 *
 * Modes: 'zero' writes 0; 'mean' writes the activation's mean over a reference batch and all its
 * positions (default reference: the prompts themselves); 'resample' writes the activation of
 * another prompt — each row takes a different row of a same-length reference batch (seeded).
 *
 * @example
 * import { loadModel, initBackend } from '@hooklens/core';
 * import { ablate, ablationSweep } from '@hooklens/hooks';
 * await initBackend();
 * const model = await loadModel('packages/core/models/toy-ioi'); // from the repository root
 * const tokens = model.toTokens('When Mary and John went to the store , John gave a drink to');
 * const one = await ablate(model, tokens, { heads: [{ layer: 0, head: 3 }], mode: 'mean', answer: 'Mary', wrong: 'John' });
 * console.log(one.lossClean, one.lossAblated, one.metricClean, one.metricAblated);
 * const sweep = await ablationSweep(model, tokens, { mode: 'zero', answer: 'Mary', wrong: 'John', onProgress: (d, t) => console.log(d, t) });
 * console.log(sweep.lossDelta, sweep.metricDelta); // [layer][head]
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '@hooklens/core';
import type { ForwardHook, HookedTransformer, HookName, ModelConfig } from '@hooklens/core';
import { resolvePosition } from './cacheAnalysis.ts';
import { forwardBytesPerRow, resolveBatchSize } from './sweep/batching.ts';
import { SweepProgress, throwIfAborted } from './sweep/progress.ts';
import type { SweepOptions } from './sweep/progress.ts';
import { resolveToken, ToolInputError } from './tokens.ts';

export type AblationMode = 'zero' | 'mean' | 'resample';

export interface HeadRef {
  layer: number;
  head: number;
}

/** A batch of token rows (equal lengths) or one row. */
export type PromptTokens = readonly number[] | readonly (readonly number[])[];

interface CommonOptions {
  /** Default 'zero'. */
  mode?: AblationMode;
  /** Reference batch for 'mean' (any length) and 'resample' (same length as the prompts). Default: the prompts. */
  reference?: PromptTokens;
  /** With `wrong`: the metric is logit[answer] − logit[wrong] at `position`, averaged over rows. Id, '#ID' or one-token text. */
  answer?: number | string;
  wrong?: number | string;
  /** Position the metric and predictions read; default the last; negative counts from the end. */
  position?: number;
  /** Seeds which reference row each prompt row takes in 'resample' mode. */
  seed?: number;
  /**
   * For a padded batch (model.toTokensBatch): [row][pos] 1 for a real token, 0 for a pad. Pads are
   * not attended to, not scored in the loss and not averaged into 'mean' fills, and `position`
   * counts each row's real tokens (-1: each row's last real token), so every row reads as it would
   * alone. Not with 'resample', which takes each position from another prompt.
   */
  attentionMask?: readonly (readonly number[])[];
  /** The same for a padded `reference` batch ('mean' mode). */
  referenceAttentionMask?: readonly (readonly number[])[];
}

export interface AblateOptions extends CommonOptions {
  heads?: readonly HeadRef[];
  /** MLP layers whose whole output (hook_mlp_out) is ablated. */
  mlps?: readonly number[];
}

export interface TokenPrediction {
  token: number;
  /** The token's text, when the model has a tokenizer. */
  text?: string;
  probability: number;
}

export interface AblationResult {
  lossClean: number;
  lossAblated: number;
  lossDelta: number;
  metricClean?: number;
  metricAblated?: number;
  metricDelta?: number;
  /**
   * Position the metric and predictions were read at. With an attentionMask: the position as
   * given (counting each row's real tokens), and `rowPositions` the index read in each padded row.
   */
  position: number;
  rowPositions?: number[];
  /** Per prompt row: the top-5 next tokens at `position`, clean and ablated. */
  predictions: { clean: TokenPrediction[]; ablated: TokenPrediction[] }[];
}

/**
 * batchSize: ablated copies of the prompt(s) per forward pass (default: as many as fit the sweep
 * memory budget, activations and logits counted as patching counts them — see sweep/batching.ts —
 * at most a layer's heads).
 */
export interface AblationSweepOptions extends CommonOptions, SweepOptions {
  /** Sweep only these layers' heads (default: all); the other rows of the grids are NaN. */
  layers?: readonly number[];
  /**
   * false: skip the loss and unembed only `position`, much faster on large vocabularies;
   * needs answer/wrong. Default true.
   */
  loss?: boolean;
}

export interface AblationSweepResult {
  /** [layer][head]: loss with that head ablated minus the clean loss. */
  lossDelta: number[][];
  lossClean: number;
  metricDelta?: number[][];
  metricClean?: number;
}

export interface MetricSweepResult {
  metricDelta: number[][];
  metricClean: number;
}

const TOP_K = 5;

/** Ablates `heads` and `mlps` together and compares loss (and metric) with the clean run. */
export async function ablate(model: HookedTransformer, tokens: PromptTokens, options: AblateOptions): Promise<AblationResult> {
  const rows = promptRows(tokens, 'prompt');
  const length = rows[0].length;
  if (length < 2) throw new ToolInputError('prompt has 1 token; the loss needs at least 2');
  const heads = checkHeads(model, options.heads ?? []);
  const mlps = checkMlps(model, options.mlps ?? []);
  if (heads.length === 0 && mlps.length === 0) throw new ToolInputError('nothing to ablate: give at least one head or MLP layer');
  const mode = checkMode(options.mode);
  const mask = checkMask(options.attentionMask, rows, 'attentionMask');
  const readAt = readPositions(options.position ?? -1, rows, mask);
  const metric = resolveMetric(model, options);
  const headLayers = [...new Set(heads.map((h) => h.layer))];
  const fills = referenceFills(model, rows, mask, mode, options, headLayers, mlps);
  const owned: tf.Tensor[] = [...fills.values()];
  try {
    const hooks: ForwardHook[] = [];
    for (const layer of headLayers) {
      const keep = headKeepMask(model, [heads.filter((h) => h.layer === layer).map((h) => h.head)]);
      hooks.push([`blocks.${layer}.attn.hook_z`, (z) => ablateHeads(z, keep, 1, fills.get(`blocks.${layer}.attn.hook_z`))]);
    }
    for (const layer of mlps) {
      const name: HookName = `blocks.${layer}.hook_mlp_out`;
      hooks.push([name, (out) => { const fill = fills.get(name); return fill ? tf.broadcastTo(fill, out.shape) : tf.zerosLike(out); }]);
    }
    const masked = mask ? { attentionMask: mask } : {};
    const clean = model.forward(rows, { returnType: 'both', ...masked });
    owned.push(clean.logits, clean.loss);
    const ablated = model.withHooks(hooks, () => model.forward(rows, { returnType: 'both', ...masked }));
    owned.push(ablated.logits, ablated.loss);

    const lossClean = (await clean.loss.data())[0];
    const lossAblated = (await ablated.loss.data())[0];
    const result: AblationResult = {
      lossClean,
      lossAblated,
      lossDelta: lossAblated - lossClean,
      position: mask ? options.position ?? -1 : readAt[0],
      ...(mask && { rowPositions: readAt }),
      predictions: [],
    };
    if (metric) {
      result.metricClean = await meanMetric(clean.logits, readAt, metric);
      result.metricAblated = await meanMetric(ablated.logits, readAt, metric);
      result.metricDelta = result.metricAblated - result.metricClean;
    }
    const cleanTop = await topPredictions(model, clean.logits, readAt, rows);
    const ablatedTop = await topPredictions(model, ablated.logits, readAt, rows);
    result.predictions = cleanTop.map((top, row) => ({ clean: top, ablated: ablatedTop[row] }));
    return result;
  } finally {
    tf.dispose(owned);
  }
}

/**
 * Ablates every head, one at a time, and returns [layer][head] grids of loss (and metric)
 * changes. Batched: each forward pass holds several copies of the prompt(s), each copy with
 * a different head of the same layer ablated, and starts at that layer from the clean
 * residual stream (earlier layers are unaffected by the ablation).
 */
export async function ablationSweep(model: HookedTransformer, tokens: PromptTokens, options: AblationSweepOptions & { loss: false }): Promise<MetricSweepResult>;
export async function ablationSweep(model: HookedTransformer, tokens: PromptTokens, options?: AblationSweepOptions): Promise<AblationSweepResult>;
export async function ablationSweep(model: HookedTransformer, tokens: PromptTokens, options: AblationSweepOptions = {}): Promise<AblationSweepResult | MetricSweepResult> {
  const rows = promptRows(tokens, 'prompt');
  const batch = rows.length;
  const length = rows[0].length;
  const wantLoss = options.loss ?? true;
  if (wantLoss && length < 2) throw new ToolInputError('prompt has 1 token; the loss needs at least 2');
  const mode = checkMode(options.mode);
  const mask = checkMask(options.attentionMask, rows, 'attentionMask');
  const readAt = readPositions(options.position ?? -1, rows, mask);
  // Without the loss only the read positions are unembedded (one, unless right padding spreads them).
  const unembedded = [...new Set(readAt)].sort((a, b) => a - b);
  const metricAt = wantLoss ? readAt : readAt.map((position) => unembedded.indexOf(position));
  // Loss terms (next-token pairs of real tokens) per ablated copy of the batch.
  const lossTerms = mask ? mask.reduce((total, row) => total + row.slice(1).filter((real, p) => real && row[p]).length, 0) : batch * (length - 1);
  const metric = resolveMetric(model, options);
  if (!wantLoss && !metric) throw new ToolInputError('a sweep without the loss needs a metric: give answer and wrong');
  const { nLayers, nHeads } = model.config;
  const layers = checkLayers(model, options.layers);
  // Per start layer (later layers run fewer blocks per row); a bad size fails here, before any work.
  const batchSizes = new Map(layers.map((layer) => [layer, ablationSweepBatchSize(model.config, options.batchSize, batch, length, wantLoss, nLayers - layer)]));
  const fills = referenceFills(model, rows, mask, mode, options, layers, []);
  const residuals = new Map<string, tf.Tensor>();
  const owned: tf.Tensor[] = [...fills.values()];
  try {
    // Clean run: loss, logits and every layer's resid_pre to start the ablated runs from.
    const clean = model.withHooks([[(name) => /^blocks\.\d+\.hook_resid_pre$/.test(name), (activation, hook) => { residuals.set(hook.name, tf.keep(activation.clone())); }]],
      () => (wantLoss ? model.forward(rows, { returnType: 'both', ...(mask && { attentionMask: mask }) }) : { logits: model.forward(rows, { unembedPositions: unembedded, ...(mask && { attentionMask: mask }) }), loss: undefined }));
    const cleanLogits = clean.logits;
    owned.push(cleanLogits);
    if (clean.loss) owned.push(clean.loss);
    const lossClean = clean.loss ? (await clean.loss.data())[0] : NaN;
    const metricClean = metric ? await meanMetric(cleanLogits, metricAt, metric) : undefined;

    const lossDelta = Array.from({ length: nLayers }, () => new Array<number>(nHeads).fill(NaN));
    const metricDelta = Array.from({ length: nLayers }, () => new Array<number>(nHeads).fill(NaN));
    const progress = new SweepProgress(layers.length * nHeads, options.onProgress, options.signal, options.betweenBatches);
    for (const layer of layers) {
      const batchSize = batchSizes.get(layer)!;
      for (let first = 0; first < nHeads; first += batchSize) {
        await progress.checkpoint();
        const heads = Array.from({ length: Math.min(batchSize, nHeads - first) }, (_, i) => first + i);
        const copies = heads.length;
        const keep = headKeepMask(model, heads.map((head) => [head]), batch);
        const fill = fills.get(`blocks.${layer}.attn.hook_z`);
        const copiedRows = heads.flatMap(() => rows);
        const residual = tf.tidy(() => tf.tile(residuals.get(`blocks.${layer}.hook_resid_pre`)!, [copies, 1, 1]) as tf.Tensor3D);
        const values: { loss?: tf.Tensor; logits?: tf.Tensor3D } = {};
        try {
          model.withHooks([[`blocks.${layer}.attn.hook_z`, (z) => ablateHeads(z, keep, copies, fill)]], () => {
            const common = { startAtLayer: layer, residual, ...(mask && { attentionMask: heads.flatMap(() => mask) }) };
            if (wantLoss && metric) Object.assign(values, model.forward(copiedRows, { ...common, returnType: 'both', perTokenLoss: true }));
            else if (wantLoss) values.loss = model.forward(copiedRows, { ...common, returnType: 'loss', perTokenLoss: true });
            else values.logits = model.forward(copiedRows, { ...common, unembedPositions: unembedded });
          });
          if (values.loss) {
            // Pads' terms are 0: each copy's sum over its real pairs, as the clean loss averages them.
            const perCopy = tf.tidy(() => values.loss!.reshape([copies, -1]).sum(1).div(Math.max(lossTerms, 1)));
            const data = await perCopy.data();
            perCopy.dispose();
            heads.forEach((head, i) => { lossDelta[layer][head] = data[i] - lossClean; });
          }
          if (metric && values.logits) {
            const perCopy = tf.tidy(() => rowLogitDifference(values.logits!, heads.flatMap(() => metricAt), metric).reshape([copies, batch]).mean(1));
            const data = await perCopy.data();
            perCopy.dispose();
            heads.forEach((head, i) => { metricDelta[layer][head] = data[i] - metricClean!; });
          }
        } finally {
          tf.dispose([residual, ...Object.values(values)]);
        }
        progress.advance(copies);
      }
    }
    throwIfAborted(options.signal);
    if (!wantLoss) return { metricDelta, metricClean: metricClean! };
    const result: AblationSweepResult = { lossDelta, lossClean };
    if (metric) {
      result.metricDelta = metricDelta;
      result.metricClean = metricClean;
    }
    return result;
  } finally {
    tf.dispose([...owned, ...residuals.values()]);
  }
}

// ---------------------------------------------------------------- checks

function promptRows(tokens: PromptTokens, what: string): number[][] {
  if (tokens.length === 0) throw new ToolInputError(`${what} is empty`);
  const rows = Array.isArray(tokens[0]) ? (tokens as readonly (readonly number[])[]).map((row) => [...row]) : [[...(tokens as readonly number[])]];
  rows.forEach((row, index) => {
    if (row.length === 0) throw new ToolInputError(rows.length === 1 ? `${what} is empty` : `${what} row ${index} is empty`);
    if (row.length !== rows[0].length) throw new ToolInputError(`${what} row ${index} has ${row.length} tokens, row 0 has ${rows[0].length}; rows must have equal lengths`);
  });
  return rows;
}

/** A copy of an attention mask for `rows`, checked: same shape, only 0 and 1, a real token in every row. */
function checkMask(mask: readonly (readonly number[])[] | undefined, rows: number[][], what: string): number[][] | undefined {
  if (mask === undefined) return undefined;
  if (mask.length !== rows.length) throw new ToolInputError(`${what} has ${mask.length} rows, the prompts ${rows.length}`);
  return mask.map((row, index) => {
    if (row.length !== rows[index].length) throw new ToolInputError(`${what} row ${index} has ${row.length} entries, prompt row ${index} has ${rows[index].length} tokens`);
    if (row.some((value) => value !== 0 && value !== 1)) throw new ToolInputError(`${what} row ${index} must hold only 0 (pad) and 1 (token)`);
    if (!row.includes(1)) throw new ToolInputError(`${what} row ${index} has no real token`);
    return [...row];
  });
}

/**
 * The index each row is read at: `position` among the row's real tokens (all of them without a
 * mask); negative counts from the row's last real token.
 */
function readPositions(position: number, rows: number[][], mask: number[][] | undefined): number[] {
  return rows.map((row, index) => {
    const real = mask ? row.flatMap((_, p) => (mask[index][p] ? [p] : [])) : undefined;
    return real ? real[resolvePosition(position, real.length)] : resolvePosition(position, row.length);
  });
}

function checkMode(mode: AblationMode | undefined): AblationMode {
  const value = mode ?? 'zero';
  if (value !== 'zero' && value !== 'mean' && value !== 'resample') throw new ToolInputError(`unknown ablation mode '${String(value)}'; modes: zero, mean, resample`);
  return value;
}

function checkHeads(model: HookedTransformer, heads: readonly HeadRef[]): HeadRef[] {
  const { nLayers, nHeads } = model.config;
  const seen = new Set<string>();
  const result: HeadRef[] = [];
  for (const { layer, head } of heads) {
    const label = `head ${layer}.${head}`;
    if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers) throw new ToolInputError(`${label}: the model has layers 0..${nLayers - 1}`);
    if (!Number.isInteger(head) || head < 0 || head >= nHeads) throw new ToolInputError(`${label}: layer ${layer} has heads 0..${nHeads - 1}`);
    if (seen.has(label)) continue;
    seen.add(label);
    result.push({ layer, head });
  }
  return result;
}

function checkLayers(model: HookedTransformer, layers: readonly number[] | undefined): number[] {
  const { nLayers } = model.config;
  if (layers === undefined) return Array.from({ length: nLayers }, (_, layer) => layer);
  if (layers.length === 0) throw new ToolInputError('layers is empty: give at least one layer to sweep');
  for (const layer of layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers) throw new ToolInputError(`layer ${layer}: the model has layers 0..${nLayers - 1}`);
  }
  return [...new Set(layers)].sort((a, b) => a - b);
}

function checkMlps(model: HookedTransformer, mlps: readonly number[]): number[] {
  const { nLayers, attnOnly } = model.config;
  if (mlps.length > 0 && attnOnly) throw new ToolInputError(`mlp ${mlps[0]}: the model is attention-only and has no MLP layers`);
  for (const layer of mlps) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= nLayers) throw new ToolInputError(`mlp ${layer}: the model has layers 0..${nLayers - 1}`);
  }
  return [...new Set(mlps)];
}

function resolveMetric(model: HookedTransformer, options: CommonOptions): { answer: number; wrong: number } | undefined {
  if (options.answer === undefined && options.wrong === undefined) return undefined;
  if (options.answer === undefined || options.wrong === undefined) throw new ToolInputError('the logit-difference metric needs both answer and wrong');
  return { answer: resolveToken(model, options.answer, 'answer'), wrong: resolveToken(model, options.wrong, 'wrong') };
}

/**
 * Ablated copies per forward pass: `requested` (checked, at most a layer's heads), else as many as
 * fit the sweep memory budget. A copy is `rows` prompt rows running `blocks` blocks (from the
 * ablated layer on); with the loss every position is unembedded and the loss keeps the logits'
 * log-softmax beside them (two vocabulary-sized rows per position), without it one position is.
 */
export function ablationSweepBatchSize(config: ModelConfig, requested: number | undefined, rows: number, length: number, wantLoss: boolean, blocks: number): number {
  const { nHeads } = config;
  const bytesPerCopy = rows * forwardBytesPerRow(config, length, wantLoss ? 2 * length : 1, blocks);
  const fit = Math.min(resolveBatchSize(requested, bytesPerCopy), nHeads);
  if (requested !== undefined) return fit;
  // Even batches: 12 heads with room for 10 run as 6 + 6, not 10 + 2.
  return Math.ceil(nHeads / Math.ceil(nHeads / fit));
}

// ---------------------------------------------------------------- ablation values

/**
 * What each ablated hook is overwritten with ('mean': [1, 1, …] means; 'resample': [batch, pos, …]
 * rows of the reference), keyed by hook name. Empty for 'zero'. The caller disposes the tensors.
 */
function referenceFills(model: HookedTransformer, rows: number[][], mask: number[][] | undefined, mode: AblationMode, options: CommonOptions, headLayers: readonly number[], mlpLayers: readonly number[]): Map<string, tf.Tensor> {
  const fills = new Map<string, tf.Tensor>();
  if (mode === 'zero') return fills;
  const usesPrompts = options.reference === undefined;
  const reference = usesPrompts ? rows : promptRows(options.reference!, 'reference');
  const referenceMask = usesPrompts ? mask : checkMask(options.referenceAttentionMask, reference, 'referenceAttentionMask');
  let sources: number[] | undefined;
  if (mode === 'resample') {
    if ([mask, referenceMask].some((m) => m?.some((row) => row.includes(0)))) {
      throw new ToolInputError('resample ablation takes each position from another prompt, so it needs prompts of equal token length, without padding');
    }
    if (reference[0].length !== rows[0].length) {
      throw new ToolInputError(`resample ablation needs reference rows as long as the prompt: reference has ${reference[0].length} tokens, prompt ${rows[0].length}`);
    }
    sources = resampleSources(rows.length, reference.length, usesPrompts, options.seed ?? 0);
  }
  const wanted = new Set([...headLayers.map((layer) => `blocks.${layer}.attn.hook_z`), ...mlpLayers.map((layer) => `blocks.${layer}.hook_mlp_out`)]);
  const logits = model.withHooks([[(name) => wanted.has(name), (activation, hook) => {
    let fill: tf.Tensor;
    if (sources) fill = tf.gather(activation, tf.tensor1d(sources, 'int32'), 0);
    else if (referenceMask) fill = maskedMean(activation, referenceMask);
    else fill = activation.mean([0, 1], true);
    fills.set(hook.name, tf.keep(fill));
  }]], () => model.forward(reference, { unembedPositions: [0], ...(referenceMask && { attentionMask: referenceMask }) }));
  logits.dispose();
  return fills;
}

/** The mean of [batch, pos, …] over the real (mask 1) rows and positions, kept as [1, 1, …]. */
function maskedMean(activation: tf.Tensor, mask: number[][]): tf.Tensor {
  const [batch, length, ...rest] = activation.shape;
  const weights = tf.tensor(mask.flat(), [batch, length, ...rest.map(() => 1)]);
  const real = mask.flat().reduce((a, b) => a + b, 0);
  return activation.mul(weights).sum([0, 1], true).div(real);
}

/**
 * For each prompt row, the reference row it takes: a seeded shuffle, never the row itself
 * when the reference is the prompts (a row "resampled" from itself is not ablated).
 */
function resampleSources(batch: number, referenceRows: number, samePrompts: boolean, seed: number): number[] {
  if (samePrompts && batch < 2) {
    throw new ToolInputError('resample ablation needs other prompts to take activations from: give a reference batch or at least 2 prompts');
  }
  const random = seededRandom(seed);
  const order = Array.from({ length: referenceRows }, (_, i) => i);
  for (let attempt = 0; ; attempt++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const sources = Array.from({ length: batch }, (_, row) => order[row % referenceRows]);
    if (!samePrompts || sources.every((source, row) => source !== row)) return sources;
    if (attempt > 100) return sources.map((_, row) => (row + 1) % batch); // a cyclic shift is always a derangement
  }
}

/**
 * [copies·batch, 1, head, 1]: 0 where a head is ablated, 1 elsewhere. `ablatedPerCopy[c]` lists
 * the heads copy c ablates; its `batch` rows share them. Plain numbers, made into a tensor in the hook.
 */
function headKeepMask(model: HookedTransformer, ablatedPerCopy: readonly (readonly number[])[], batch = 1): { data: Float32Array; shape: [number, number, number, number] } {
  const { nHeads } = model.config;
  const rows = ablatedPerCopy.length * batch;
  const data = new Float32Array(rows * nHeads).fill(1);
  ablatedPerCopy.forEach((heads, copy) => {
    for (let row = 0; row < batch; row++) for (const head of heads) data[(copy * batch + row) * nHeads + head] = 0;
  });
  return { data, shape: [rows, 1, nHeads, 1] };
}

/** z·keep + fill·(1 − keep): ablated heads take the fill (or 0), the others pass through. */
function ablateHeads(z: tf.Tensor, keepMask: { data: Float32Array; shape: [number, number, number, number] }, copies: number, fill: tf.Tensor | undefined): tf.Tensor {
  const keep = tf.tensor4d(keepMask.data, keepMask.shape);
  const kept = z.mul(keep);
  if (!fill) return kept;
  const tiled = copies > 1 && fill.shape[0] > 1 ? tf.tile(fill, [copies, 1, 1, 1]) : fill;
  return kept.add(tiled.mul(tf.scalar(1).sub(keep)));
}

// ---------------------------------------------------------------- readouts

/** [batch, pos, vocab] → [batch, vocab]: each row's logits at its own position. */
function logitsAtRows(logits: tf.Tensor3D, positions: readonly number[]): tf.Tensor2D {
  const [batch, length, vocab] = logits.shape;
  return tf.tidy(() => tf.gather(logits.reshape([batch * length, vocab]), tf.tensor1d(positions.map((position, row) => row * length + position), 'int32')) as tf.Tensor2D);
}

/** logit[answer] − logit[wrong] of each row at its own position: [batch]. */
function rowLogitDifference(logits: tf.Tensor3D, positions: readonly number[], metric: { answer: number; wrong: number }): tf.Tensor1D {
  return tf.tidy(() => {
    const atRows = logitsAtRows(logits, positions);
    return atRows.slice([0, metric.answer], [-1, 1]).sub(atRows.slice([0, metric.wrong], [-1, 1])).reshape([-1]) as tf.Tensor1D;
  });
}

async function meanMetric(logits: tf.Tensor3D, positions: readonly number[], metric: { answer: number; wrong: number }): Promise<number> {
  const mean = tf.tidy(() => rowLogitDifference(logits, positions, metric).mean());
  const value = (await mean.data())[0];
  mean.dispose();
  return value;
}

/** Top next tokens per row at its position; a token's text is shown as it reads after the row's token there (word-boundary rules). */
async function topPredictions(model: HookedTransformer, logits: tf.Tensor3D, positions: readonly number[], rows: number[][]): Promise<TokenPrediction[][]> {
  const vocab = logits.shape[2];
  const { values, indices } = tf.tidy(() => tf.topk(tf.softmax(logitsAtRows(logits, positions)), Math.min(TOP_K, vocab)));
  const probabilities = (await values.array()) as number[][];
  const ids = (await indices.array()) as number[][];
  tf.dispose([values, indices]);
  return ids.map((row, r) => row.map((token, k) => ({
    token,
    ...(model.tokenizer && { text: model.toSingleStrToken(token, rows[r][positions[r]]) }),
    probability: probabilities[r][k],
  })));
}
