/**
 * Activation patching: run the CORRUPTED prompt, copy one activation from the CLEAN run into
 * it — at one (layer, position), or one head at all or one position, the cells of
 * TransformerLens' `patching` module — and measure how much of the clean behaviour comes
 * back. Unlike that module, which returns the raw value of a metric function over all the
 * logits, the metric here reads one position's logits (default logit[answer] − logit[wrong])
 * and every cell is normalised so the clean run scores 1 and the corrupted run 0 (README,
 * Differences from TransformerLens).
 *
 * How it stays cheap (well under one forward pass per cell):
 * - the clean prompt runs once, caching exactly the hooks to patch; the corrupted prompt runs
 *   once, caching its resid_pre at every layer;
 * - a cell at layer L runs only blocks ≥ L, starting from the corrupted resid_pre of layer L;
 * - cells at the same layer go through the model together as one batch, each row patched
 *   at its own (position, head) by a mask: patched = mask · clean + (1 − mask) · current;
 * - only the metric position is unembedded;
 * - cells at positions before the prompts' first differing token are not run at all: by
 *   causality the clean activation there equals the corrupted one, so the value is exactly 0.
 * Cells can also be spread over worker threads (`workers`, see sweep/workerPool.ts).
 *
 * @example
 * const model = await loadModel('packages/core/models/toy-ioi'); // from the repository root
 * const clean = model.toTokens('When Mary and John went to the store , John gave a drink to');
 * const corrupted = model.toTokens('When Mary and John went to the store , Mary gave a drink to');
 * const answer = resolveToken(model, 'Mary', 'answer'), wrong = resolveToken(model, 'John', 'wrong');
 * const grid = await activationPatching(model, clean, corrupted, { kind: 'resid_pre', answer, wrong });
 * console.table(grid.values.map((row, i) => [grid.rows[i], ...row.map((v) => v.toFixed(2))]));
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BlockHookSuffix, HookedTransformer, HookName } from '@hooklens/core';
import { logitDifference, normalizeMetric } from './metrics.ts';
import { ToolInputError } from './tokens.ts';
import { chunk, forwardBytesPerRow, groupBy, resolveBatchSize } from './sweep/batching.ts';
import { SweepProgress } from './sweep/progress.ts';
import type { SweepOptions } from './sweep/progress.ts';
import { canUseWorkers, runPatchCellsInWorkers } from './sweep/patchWorkers.ts';

/** Activations of shape [batch, pos, d_model], patched per (layer, position). */
export type PositionPatchKind = 'resid_pre' | 'resid_mid' | 'attn_out' | 'mlp_out';
/** Per-head activations, patched per (layer, head) over all positions. */
export type HeadPatchKind = 'z' | 'q' | 'k' | 'v' | 'pattern';
/** Per-head activations, patched per (layer, head, position); for 'pattern' the query position. */
export type HeadByPositionKind = `${HeadPatchKind}_by_pos`;
export type PatchKind = PositionPatchKind | HeadPatchKind | HeadByPositionKind;

export const POSITION_PATCH_KINDS: readonly PositionPatchKind[] = ['resid_pre', 'resid_mid', 'attn_out', 'mlp_out'];
export const HEAD_PATCH_KINDS: readonly HeadPatchKind[] = ['z', 'q', 'k', 'v', 'pattern'];
export const PATCH_KINDS: readonly PatchKind[] = [...POSITION_PATCH_KINDS, ...HEAD_PATCH_KINDS, ...HEAD_PATCH_KINDS.map((kind) => `${kind}_by_pos` as const)];

/**
 * Scores runs from their logits at the metric position, [batch, 1, d_vocab] → [batch]. Called
 * inside a tf.tidy. The default is logit[answer] − logit[wrong].
 */
export type PatchingMetric = (logits: tf.Tensor3D) => tf.Tensor1D;

export interface PatchingMetricOptions {
  /** Token ids for the default metric, logit difference answer − wrong. */
  answer?: number;
  wrong?: number;
  /** A custom metric instead (then answer/wrong are not needed; workers are not used). */
  metric?: PatchingMetric;
  /** Where the metric reads the logits (negative: from the end); default the last position. */
  metricPosition?: number;
}

export interface PatchingSelection {
  /** Layers to patch (default all). */
  layers?: readonly number[];
  /** Heads to patch, for head kinds (default all; for k and v, key/value heads). */
  heads?: readonly number[];
  /** Positions to patch, for position and by-position kinds (default all). */
  positions?: readonly number[];
}

export interface PatchingOptions extends SweepOptions, PatchingMetricOptions, PatchingSelection {
  kind: PatchKind;
  /** For head kinds: patch each position separately (same as kind 'z_by_pos' etc.). */
  byPosition?: boolean;
  /**
   * Worker threads to spread the cells over (default 1: this thread). Used only when the model
   * was loaded from a file (model.source), the metric is the default one and the backend is
   * single-threaded (wasm, cpu); otherwise the sweep runs here.
   */
  workers?: number;
}

/** A layer × column grid: columns are positions (position kinds) or heads (head kinds). */
export interface PatchingGrid {
  kind: PositionPatchKind | HeadPatchKind;
  /** One per layer: 'L0', 'L1', … */
  rows: string[];
  /** 'pos 3: " Mary"' for positions; 'H0' for heads ('KV0' for k/v of a grouped-query model). */
  cols: string[];
  /** [row][col]: the normalised metric (clean = 1, corrupted = 0). */
  values: number[][];
  /** The metric on the clean and the corrupted prompt, unnormalised. */
  clean: number;
  corrupted: number;
}

/** A layer × head × position grid. */
export interface PatchingHeadPositionGrid {
  kind: HeadByPositionKind;
  rows: string[];
  /** Head labels. */
  cols: string[];
  /** Position labels, the third axis. */
  positions: string[];
  /** [layer][head][position]: the normalised metric. */
  values: number[][][];
  clean: number;
  corrupted: number;
}

export type PatchingResult = PatchingGrid | PatchingHeadPositionGrid;

export interface EveryBlockResult {
  resid_pre: PatchingGrid;
  attn_out: PatchingGrid;
  /** Absent for attention-only models. */
  mlp_out?: PatchingGrid;
}

/**
 * Where one patched run copies the clean activation in: a hook, and which slice of it.
 * Plain data, so cells can be sent to worker threads.
 */
export interface PatchCell {
  layer: number;
  hook: HookName;
  layout: MaskLayout;
  /** Heads of the hook's activation (nHeads, or nKvHeads for k/v); 0 for position layouts. */
  heads: number;
  position: number;
  head: number;
}

/**
 * Which entries of the activation a cell overwrites, as the shape of a broadcastable mask:
 * 'pos' [b, pos, 1] · 'head' [b, 1, head, 1] · 'head_pos' [b, pos, head, 1] (q/k/v/z are
 * [b, pos, head, d_head]) · 'pattern_head' [b, head, 1, 1] · 'pattern_head_pos' [b, head, query, 1]
 * (pattern is [b, head, query, key]).
 */
export type MaskLayout = 'pos' | 'head' | 'head_pos' | 'pattern_head' | 'pattern_head_pos';

/** Everything a batch of patched runs needs, as plain data (what a worker receives). */
export interface PatchRunSpec {
  clean: number[];
  corrupted: number[];
  cells: PatchCell[];
  /** Cells per forward pass for runs starting at each layer (runs from early layers hold more blocks). */
  batchSizes: number[];
  metricPosition: number;
}

export interface PatchRunResult {
  /** The metric of each cell's patched run, in cell order (unnormalised). */
  values: number[];
  clean: number;
  corrupted: number;
}

/** Patch one kind of activation, cell by cell; see the file comment. */
export async function activationPatching(model: HookedTransformer, clean: readonly number[], corrupted: readonly number[], options: PatchingOptions & { kind: PositionPatchKind | HeadPatchKind; byPosition?: false }): Promise<PatchingGrid>;
export async function activationPatching(model: HookedTransformer, clean: readonly number[], corrupted: readonly number[], options: PatchingOptions): Promise<PatchingResult>;
export async function activationPatching(model: HookedTransformer, clean: readonly number[], corrupted: readonly number[], options: PatchingOptions): Promise<PatchingResult> {
  let kind = options.kind;
  if (!(PATCH_KINDS as readonly string[]).includes(kind)) throw new ToolInputError(`unknown patch kind '${String(kind)}'; kinds: ${PATCH_KINDS.join(', ')}`);
  if (options.byPosition) {
    if (!(HEAD_PATCH_KINDS as readonly string[]).includes(kind)) throw new ToolInputError(`byPosition applies to head kinds (${HEAD_PATCH_KINDS.join(', ')}), not '${kind}'`);
    kind = `${kind as HeadPatchKind}_by_pos`;
  }
  const [result] = await patchKinds(model, clean, corrupted, [kind], options);
  return result;
}

/**
 * resid_pre, attn_out and mlp_out grids together (TransformerLens' get_act_patch_block_every),
 * sharing the clean and corrupted runs and the batches.
 */
export async function patchEveryBlock(model: HookedTransformer, clean: readonly number[], corrupted: readonly number[], options: Omit<PatchingOptions, 'kind' | 'byPosition' | 'heads'> = {}): Promise<EveryBlockResult> {
  const kinds: PositionPatchKind[] = model.config.attnOnly ? ['resid_pre', 'attn_out'] : ['resid_pre', 'attn_out', 'mlp_out'];
  const grids = (await patchKinds(model, clean, corrupted, kinds, options)) as PatchingGrid[];
  return { resid_pre: grids[0], attn_out: grids[1], ...(grids[2] && { mlp_out: grids[2] }) };
}

/** Plans every kind's cells, runs them all in one sweep, and cuts the results back into grids. */
async function patchKinds(model: HookedTransformer, clean: readonly number[], corrupted: readonly number[], kinds: readonly PatchKind[], options: Omit<PatchingOptions, 'kind'>): Promise<PatchingResult[]> {
  checkPromptPair(model, clean, corrupted);
  const length = clean.length;
  const metricPosition = resolveMetricPosition(options.metricPosition, length);
  const metric = options.metric ?? defaultMetric(model, options);
  const plans = kinds.map((kind) => planCells(model, kind, options, length));
  const cells = plans.flatMap((plan) => plan.cells);
  const { nLayers } = model.config;
  const batchSizes = Array.from({ length: nLayers }, (_, layer) => resolveBatchSize(options.batchSize, forwardBytesPerRow(model.config, length, 1, nLayers - layer)));
  const spec: PatchRunSpec = { clean: [...clean], corrupted: [...corrupted], cells, batchSizes, metricPosition };
  const progress = new SweepProgress(cells.length, options.onProgress, options.signal, options.betweenBatches);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new ToolInputError(`workers must be a positive integer, got ${workers}`);
  const run = workers > 1 && options.metric === undefined && canUseWorkers(model)
    ? await runPatchCellsInWorkers(model, spec, { answer: options.answer!, wrong: options.wrong! }, workers, progress)
    : await runPatchCells(model, spec, metric, progress);

  const positionLabels = labelPositions(model, clean);
  const results: PatchingResult[] = [];
  let offset = 0;
  for (const plan of plans) {
    const values = run.values.slice(offset, offset + plan.cells.length).map((value) => normalizeMetric(value, run.clean, run.corrupted));
    offset += plan.cells.length;
    results.push(plan.assemble(values, positionLabels, run.clean, run.corrupted));
  }
  return results;
}

/**
 * Runs every cell's patched forward pass, batched by layer, and returns raw metric values.
 * Used in this thread and inside each worker.
 */
export async function runPatchCells(model: HookedTransformer, spec: PatchRunSpec, metric: PatchingMetric, progress: SweepProgress): Promise<PatchRunResult> {
  const { cells, metricPosition } = spec;
  const length = spec.clean.length;
  const cleanHooks = new Set(cells.map((cell) => cell.hook));
  const startLayers = new Set(cells.map((cell) => cell.layer).filter((layer) => layer > 0));
  const unembedPositions = [metricPosition];
  const scalarMetric = (logits: tf.Tensor3D) => readMetric(metric, logits, 1)[0];

  const cleanRun = model.runWithCache([spec.clean], { names: (name) => cleanHooks.has(name), unembedPositions });
  let corruptRun: ReturnType<HookedTransformer['runWithCache']> | undefined;
  try {
    corruptRun = model.runWithCache([spec.corrupted], { names: (name) => startLayers.has(residPreLayer(name)), unembedPositions });
    const result: PatchRunResult = { values: new Array<number>(cells.length).fill(NaN), clean: scalarMetric(cleanRun.logits), corrupted: scalarMetric(corruptRun.logits) };
    const indexed = cells.map((cell, index) => ({ cell, index }));
    // Cells that patch a position before the prompts' first difference copy in an activation
    // that equals the corrupted one (attention is causal): the run IS the corrupted run.
    const firstDifference = spec.clean.findIndex((id, position) => id !== spec.corrupted[position]);
    const unchanged = (cell: PatchCell) => cell.layout !== 'head' && cell.layout !== 'pattern_head' && (firstDifference === -1 || cell.position < firstDifference);
    const skipped = indexed.filter(({ cell }) => unchanged(cell));
    for (const { index } of skipped) result.values[index] = result.corrupted;
    if (skipped.length > 0) progress.advance(skipped.length);
    const toRun = indexed.filter(({ cell }) => !unchanged(cell));
    for (const [layer, group] of groupBy(toRun, (entry) => entry.cell.layer)) {
      for (const batch of chunk(group, spec.batchSizes[layer])) {
        await progress.checkpoint();
        const batchCells = batch.map((entry) => entry.cell);
        const residual = layer > 0 ? tf.tile(corruptRun.cache.get<tf.Tensor3D>(`blocks.${layer}.hook_resid_pre`), [batch.length, 1, 1]) as tf.Tensor3D : undefined;
        let logits: tf.Tensor3D;
        try {
          logits = model.runWithHooks(new Array(batch.length).fill(spec.corrupted) as number[][], {
            fwdHooks: patchHooks(batchCells, (hook) => cleanRun.cache.get(hook), length),
            startAtLayer: layer,
            ...(residual && { residual }),
            unembedPositions,
          });
        } finally {
          residual?.dispose();
        }
        const values = readMetric(metric, logits, batch.length);
        batch.forEach((entry, row) => { result.values[entry.index] = values[row]; });
        progress.advance(batch.length);
      }
    }
    return result;
  } finally {
    tf.dispose(cleanRun.logits);
    cleanRun.cache.dispose();
    if (corruptRun) {
      tf.dispose(corruptRun.logits);
      corruptRun.cache.dispose();
    }
  }
}

/** One hook per (hook point, layout) in the batch; each row is patched only where its cell says. */
function patchHooks(cells: readonly PatchCell[], cleanActivation: (hook: HookName) => tf.Tensor, length: number): [HookName, (activation: tf.Tensor) => tf.Tensor][] {
  const groups = groupBy(cells.map((cell, row) => ({ cell, row })), ({ cell }) => `${cell.hook} ${cell.layout}`);
  return [...groups.values()].map((group) => {
    const { hook, layout, heads } = group[0].cell;
    const shape = maskShape(layout, cells.length, length, heads);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (const { cell, row } of group) data[maskOffset(cell, row, length)] = 1;
    const clean = cleanActivation(hook);
    // Runs inside the forward's tidy, so the mask and intermediates are freed with it.
    return [hook, (activation: tf.Tensor) => {
      const mask = tf.tensor(data, shape);
      return mask.mul(clean).add(tf.scalar(1).sub(mask).mul(activation));
    }];
  });
}

function maskShape(layout: MaskLayout, batch: number, length: number, heads: number): number[] {
  switch (layout) {
    case 'pos': return [batch, length, 1];
    case 'head': return [batch, 1, heads, 1];
    case 'head_pos': return [batch, length, heads, 1];
    case 'pattern_head': return [batch, heads, 1, 1];
    case 'pattern_head_pos': return [batch, heads, length, 1];
  }
}

function maskOffset(cell: PatchCell, row: number, length: number): number {
  switch (cell.layout) {
    case 'pos': return row * length + cell.position;
    case 'head': case 'pattern_head': return row * cell.heads + cell.head;
    case 'head_pos': return (row * length + cell.position) * cell.heads + cell.head;
    case 'pattern_head_pos': return (row * cell.heads + cell.head) * length + cell.position;
  }
}

/** Applies the metric to [rows, 1, vocab] logits (disposing them) and checks it gave [rows]. */
function readMetric(metric: PatchingMetric, logits: tf.Tensor3D, rows: number): number[] {
  try {
    const values = tf.tidy(() => {
      const scores = metric(logits);
      if (!tf.util.arraysEqual(scores.shape, [rows])) throw new ToolInputError(`the metric returned shape [${scores.shape.join(', ')}], expected [${rows}] (one value per batch row)`);
      return scores.dataSync();
    });
    return Array.from(values);
  } finally {
    logits.dispose();
  }
}

function residPreLayer(name: string): number {
  const match = /^blocks\.(\d+)\.hook_resid_pre$/.exec(name);
  return match ? Number(match[1]) : -1;
}

/** The default metric: logit difference answer − wrong at the (single) unembedded position. */
function defaultMetric(model: HookedTransformer, options: PatchingMetricOptions): PatchingMetric {
  const { answer, wrong } = options;
  if (answer === undefined || wrong === undefined) throw new ToolInputError('patching needs answer and wrong token ids (or a custom metric)');
  for (const [name, id] of [['answer', answer], ['wrong', wrong]] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= model.config.dVocab) throw new ToolInputError(`${name} token id ${id} is out of range [0, ${model.config.dVocab})`);
  }
  return (logits) => logitDifference(logits, 0, answer, wrong);
}

function checkPromptPair(model: HookedTransformer, clean: readonly number[], corrupted: readonly number[]): void {
  for (const [name, tokens] of [['clean', clean], ['corrupted', corrupted]] as const) {
    if (!Array.isArray(tokens) || tokens.length === 0) throw new ToolInputError(`the ${name} prompt is empty: patching needs at least one token`);
    const bad = tokens.find((id) => !Number.isInteger(id) || id < 0 || id >= model.config.dVocab);
    if (bad !== undefined) throw new ToolInputError(`the ${name} prompt has token id ${bad}, outside [0, ${model.config.dVocab})`);
  }
  if (clean.length !== corrupted.length) {
    throw new ToolInputError(`the clean prompt has ${clean.length} tokens but the corrupted prompt has ${corrupted.length}; patching needs prompts of equal length`);
  }
  if (clean.length > model.config.nCtx) throw new ToolInputError(`the prompts have ${clean.length} tokens, more than the model's context of ${model.config.nCtx}`);
}

function resolveMetricPosition(position: number | undefined, length: number): number {
  if (position === undefined) return length - 1;
  const index = position < 0 ? length + position : position;
  if (!Number.isInteger(position) || index < 0 || index >= length) throw new ToolInputError(`metricPosition ${position} is outside the prompt's ${length} tokens`);
  return index;
}

interface CellPlan {
  cells: PatchCell[];
  assemble(values: number[], positionLabels: string[], clean: number, corrupted: number): PatchingResult;
}

const HOOK_SUFFIX: Record<PositionPatchKind | HeadPatchKind, BlockHookSuffix> = {
  resid_pre: 'hook_resid_pre', resid_mid: 'hook_resid_mid', attn_out: 'hook_attn_out', mlp_out: 'hook_mlp_out',
  z: 'attn.hook_z', q: 'attn.hook_q', k: 'attn.hook_k', v: 'attn.hook_v', pattern: 'attn.hook_pattern',
};

/** The cells of one kind, row-major over the result grid, and how to fold values back into it. */
function planCells(model: HookedTransformer, kind: PatchKind, selection: PatchingSelection, length: number): CellPlan {
  const { nLayers, nHeads, nKvHeads, attnOnly } = model.config;
  const base = kind.replace(/_by_pos$/, '') as PositionPatchKind | HeadPatchKind;
  const byPosition = kind.endsWith('_by_pos');
  if (attnOnly && (base === 'resid_mid' || base === 'mlp_out')) throw new ToolInputError(`'${kind}' needs an MLP, but this model is attention-only`);
  if (base === 'resid_mid' && model.config.parallelResidual) throw new ToolInputError(`'${kind}' does not exist in a parallel-residual model (attention and MLP both read resid_pre)`);
  const layers = checkIndices(selection.layers, nLayers, 'layer');
  const layerLabels = layers.map((layer) => `L${layer}`);
  const hook = (layer: number): HookName => `blocks.${layer}.${HOOK_SUFFIX[base]}`;
  const isPositionKind = (POSITION_PATCH_KINDS as readonly string[]).includes(base);

  if (isPositionKind) {
    const positions = checkIndices(selection.positions, length, 'position');
    const cells = layers.flatMap((layer) => positions.map((position): PatchCell => ({ layer, hook: hook(layer), layout: 'pos', heads: 0, position, head: 0 })));
    return {
      cells,
      assemble: (values, labels, clean, corrupted) => ({
        kind: base, rows: layerLabels, cols: positions.map((p) => labels[p]),
        values: layers.map((_, l) => values.slice(l * positions.length, (l + 1) * positions.length)), clean, corrupted,
      }),
    };
  }

  const kvKind = base === 'k' || base === 'v';
  const heads = kvKind ? nKvHeads : nHeads;
  const headIds = checkIndices(selection.heads, heads, kvKind ? 'key/value head' : 'head');
  const headLabels = headIds.map((head) => (kvKind && nKvHeads < nHeads ? `KV${head}` : `H${head}`));
  const pattern = base === 'pattern';
  if (!byPosition) {
    const layout: MaskLayout = pattern ? 'pattern_head' : 'head';
    const cells = layers.flatMap((layer) => headIds.map((head): PatchCell => ({ layer, hook: hook(layer), layout, heads, position: 0, head })));
    return {
      cells,
      assemble: (values, _labels, clean, corrupted) => ({
        kind: base, rows: layerLabels, cols: headLabels,
        values: layers.map((_, l) => values.slice(l * headIds.length, (l + 1) * headIds.length)), clean, corrupted,
      }),
    };
  }
  const positions = checkIndices(selection.positions, length, 'position');
  const layout: MaskLayout = pattern ? 'pattern_head_pos' : 'head_pos';
  const cells = layers.flatMap((layer) => headIds.flatMap((head) => positions.map((position): PatchCell => ({ layer, hook: hook(layer), layout, heads, position, head }))));
  const perLayer = headIds.length * positions.length;
  return {
    cells,
    assemble: (values, labels, clean, corrupted) => ({
      kind: kind as HeadByPositionKind, rows: layerLabels, cols: headLabels, positions: positions.map((p) => labels[p]),
      values: layers.map((_, l) => headIds.map((_h, h) => values.slice(l * perLayer + h * positions.length, l * perLayer + (h + 1) * positions.length))),
      clean, corrupted,
    }),
  };
}

/** `selected` checked against [0, count), or every index when absent. */
function checkIndices(selected: readonly number[] | undefined, count: number, what: string): number[] {
  if (selected === undefined) return Array.from({ length: count }, (_, i) => i);
  if (selected.length === 0) throw new ToolInputError(`no ${what}s selected to patch`);
  for (const index of selected) {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new ToolInputError(`unknown ${what} ${index}: valid ${what}s are 0 to ${count - 1}`);
  }
  return [...selected];
}

/** 'pos 3: " Mary"' (the clean prompt's token), or 'pos 3: #1234' without a tokenizer. */
function labelPositions(model: HookedTransformer, tokens: readonly number[]): string[] {
  const pieces = model.tokenizer ? model.toStrTokens(tokens) : tokens.map((id) => `#${id}`);
  return pieces.map((piece, position) => `pos ${position}: ${model.tokenizer ? JSON.stringify(piece) : piece}`);
}
