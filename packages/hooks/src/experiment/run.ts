/**
 * Replays an experiment file (see schema.ts) on a loaded model: encodes its prompts under its
 * tokenisation settings, resolves its tokens, and calls the tool its kind names. The result is
 * the tool's plain data, exactly as the tool returns it, with the validated experiment echoed.
 *
 * @example
 * import { readFileSync } from 'node:fs';
 * import { initBackend } from '@hooklens/core';
 * import { loadExperimentModel, parseExperimentText, runExperiment } from '@hooklens/hooks';
 * await initBackend();
 * const experiment = parseExperimentText(readFileSync('lens.json', 'utf8'), 'lens.json');
 * const model = await loadExperimentModel(experiment.model, { baseDir: '.' });
 * const { result } = await runExperiment(model, experiment);
 * model.dispose();
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadModel } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { resolveModel } from '@hooklens/core/hub';
import { ablate, ablationSweep } from '../ablation.ts';
import type { AblationResult, AblationSweepResult, MetricSweepResult } from '../ablation.ts';
import { headScores } from '../headScores.ts';
import type { HeadScores } from '../headScores.ts';
import { logitLens } from '../lens.ts';
import type { LogitLensResult } from '../lens.ts';
import { activationPatching, patchEveryBlock } from '../patching.ts';
import type { EveryBlockResult, PatchingResult, PatchKind } from '../patching.ts';
import { throwIfAborted } from '../sweep/progress.ts';
import type { SweepOptions } from '../sweep/progress.ts';
import { promptTokens, resolveToken, ToolInputError, unknownTokens } from '../tokens.ts';
import type { UnknownToken } from '../tokens.ts';
import { EXPERIMENT_PATCH_KINDS, parseExperiment } from './schema.ts';
import type { Experiment, ExperimentInput, ExperimentModel, ExperimentPrompt, LogitDiffMetric, Tokenization } from './schema.ts';

export * from './schema.ts';

// The schema (zod only, browser-safe) lists the patch kinds itself; this fails to compile if they drift apart.
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const patchKindsAgree: SameSet<Exclude<(typeof EXPERIMENT_PATCH_KINDS)[number], 'every-block'>, PatchKind> = true;
void patchKindsAgree;

export type ExperimentResult = LogitLensResult | AblationResult | AblationSweepResult | MetricSweepResult | PatchingResult | EveryBlockResult | HeadScores;

export interface ExperimentRun {
  /** The experiment as validated, defaults filled in. */
  experiment: Experiment;
  result: ExperimentResult;
}

export interface RunExperimentOptions extends Pick<SweepOptions, 'onProgress' | 'signal'> {
  /**
   * Called for each text prompt holding words the model does not know (read as its unknown
   * token), with the prompt's JSON path: the run goes on, but whoever shows it should say so.
   */
  onUnknownTokens?: (field: string, tokens: UnknownToken[]) => void;
}

/** Validates `experiment` (a parsed file, or one built in code) and runs it on `model`. */
export async function runExperiment(model: HookedTransformer, experiment: Experiment | ExperimentInput, options: RunExperimentOptions = {}): Promise<ExperimentRun> {
  const checked = parseExperiment(experiment);
  throwIfAborted(options.signal);
  return { experiment: checked, result: await dispatch(model, checked, options) };
}

async function dispatch(model: HookedTransformer, experiment: Experiment, { onProgress, signal, onUnknownTokens }: RunExperimentOptions): Promise<ExperimentResult> {
  const sweep = { ...(onProgress && { onProgress }), ...(signal && { signal }) };
  const encode = (prompt: ExperimentPrompt, tokenization: Tokenization, what: string): number[] => {
    const ids = encodePrompt(model, prompt, tokenization, what);
    const unknown = typeof prompt === 'string' ? unknownTokens(model, ids, prompt) : [];
    if (unknown.length > 0) onUnknownTokens?.(what, unknown);
    return ids;
  };
  const { tokenization } = experiment;
  switch (experiment.kind) {
    case 'lens': {
      const tokens = encode(experiment.prompts.prompt, tokenization, 'experiment.prompts.prompt');
      return logitLens(model, tokens, {
        ...(experiment.topK !== undefined && { topK: experiment.topK }),
        ...(experiment.target !== undefined && { target: resolveToken(model, experiment.target, 'experiment.target') }),
        ...(experiment.includeFinal !== undefined && { includeFinal: experiment.includeFinal }),
      });
    }
    case 'ablation':
    case 'ablation-sweep': {
      const prompts = encodeRows(model, encode, experiment.prompts.prompts, tokenization, 'experiment.prompts.prompts');
      const reference = experiment.prompts.reference && encodeRows(model, encode, experiment.prompts.reference, tokenization, 'experiment.prompts.reference');
      const position = experiment.metric?.position ?? experiment.position;
      const rows = prompts.rows;
      const common = {
        mode: experiment.mode,
        ...(prompts.attentionMask && { attentionMask: prompts.attentionMask }),
        ...(reference && { reference: reference.rows }),
        ...(reference?.attentionMask && { referenceAttentionMask: reference.attentionMask }),
        ...(experiment.metric && metricTokens(model, experiment.metric)),
        ...(position !== undefined && { position }),
        ...(experiment.seed !== undefined && { seed: experiment.seed }),
      };
      if (experiment.kind === 'ablation') return ablate(model, rows, { ...common, heads: experiment.heads, mlps: experiment.mlps });
      return ablationSweep(model, rows, {
        ...common,
        ...sweep,
        ...(experiment.layers && { layers: experiment.layers }),
        ...(experiment.loss !== undefined && { loss: experiment.loss }),
        ...(experiment.batchSize !== undefined && { batchSize: experiment.batchSize }),
      });
    }
    case 'patching': {
      const clean = encode(experiment.prompts.clean, tokenization, 'experiment.prompts.clean');
      const corrupted = encode(experiment.prompts.corrupted, tokenization, 'experiment.prompts.corrupted');
      const { patch, metric } = experiment;
      const settings = {
        ...sweep,
        ...metricTokens(model, metric),
        ...(metric.position !== undefined && { metricPosition: metric.position }),
        ...(patch.layers && { layers: patch.layers }),
        ...(patch.positions && { positions: patch.positions }),
        ...(experiment.batchSize !== undefined && { batchSize: experiment.batchSize }),
        ...(experiment.workers !== undefined && { workers: experiment.workers }),
      };
      if (patch.kind === 'every-block') return patchEveryBlock(model, clean, corrupted, settings);
      return activationPatching(model, clean, corrupted, { ...settings, kind: patch.kind, ...(patch.heads && { heads: patch.heads }) });
    }
    case 'head-scores': {
      const { seqLen, batch } = experiment.prompts.repeatedRandomTokens;
      return headScores(model, {
        prependBos: tokenization.prependBos,
        ...(seqLen !== undefined && { seqLen }),
        ...(batch !== undefined && { batch }),
        ...(experiment.seed !== undefined && { seed: experiment.seed }),
      });
    }
  }
}

/** Token ids as given, or text encoded under the experiment's tokenisation. `what` is the JSON path, for errors. */
function encodePrompt(model: HookedTransformer, prompt: ExperimentPrompt, tokenization: Tokenization, what: string): number[] {
  if (Array.isArray(prompt)) return [...prompt];
  if (!model.tokenizer) throw new ToolInputError(`${what}: the model has no tokenizer to encode text; give token ids or model.tokenizer`);
  return promptTokens(model, prompt, { prependBos: tokenization.prependBos }, what);
}

/**
 * A batch of prompts for the ablation tools. Rows of equal length are used as they are; text
 * prompts of different lengths are padded on tokenization.paddingSide (model.toTokensBatch) with
 * an attention mask, which the tools use to read each row as if it ran alone. Token-id prompts
 * are used exactly as given, so those must have equal lengths.
 */
function encodeRows(
  model: HookedTransformer,
  encode: (prompt: ExperimentPrompt, tokenization: Tokenization, what: string) => number[],
  prompts: readonly ExperimentPrompt[],
  tokenization: Tokenization,
  what: string,
): { rows: number[][]; attentionMask?: number[][] } {
  const rows = prompts.map((prompt, row) => encode(prompt, tokenization, `${what}[${row}]`));
  const lengths = rows.map((row) => row.length);
  if (lengths.every((length) => length === lengths[0])) return { rows };
  if (!prompts.every((prompt): prompt is string => typeof prompt === 'string')) {
    throw new ToolInputError(`${what}: the prompts are ${lengths.join(', ')} tokens long; only text prompts are padded (tokenization.paddingSide), token-id prompts must have equal lengths`);
  }
  const { tokens, attentionMask } = model.toTokensBatch(prompts, { prependBos: tokenization.prependBos, paddingSide: tokenization.paddingSide });
  return { rows: tokens, attentionMask };
}

function metricTokens(model: HookedTransformer, metric: LogitDiffMetric): { answer: number; wrong: number } {
  return { answer: resolveToken(model, metric.answer, 'experiment.metric.answer'), wrong: resolveToken(model, metric.wrong, 'experiment.metric.wrong') };
}

export interface ResolveExperimentModelOptions {
  /** The experiment file's folder: a relative model path not found from the working directory is tried from here. */
  baseDir?: string;
}

/**
 * What loadModel should open for an experiment's model reference: a path (from the working
 * directory, then from `baseDir`), a shipped model's name, or a hub name in the local cache.
 */
export function resolveExperimentModel(model: ExperimentModel, options: ResolveExperimentModelOptions = {}): { path: string; tokenizer?: string } {
  const local = (path: string) => (isAbsolute(path) || existsSync(path) || options.baseDir === undefined || !existsSync(join(options.baseDir, path)) ? path : join(options.baseDir, path));
  const resolved = resolveModel(local(model.id));
  const tokenizer = model.tokenizer === undefined ? resolved.tokenizer : local(model.tokenizer);
  return { path: resolved.path, ...(tokenizer !== undefined && { tokenizer }) };
}

/** resolveExperimentModel, then loadModel (the backend must be initialised). */
export async function loadExperimentModel(model: ExperimentModel, options: ResolveExperimentModelOptions = {}): Promise<HookedTransformer> {
  const { path, tokenizer } = resolveExperimentModel(model, options);
  return loadModel(path, tokenizer === undefined ? {} : { tokenizer });
}
