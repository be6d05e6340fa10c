/**
 * Experiments as files: one JSON object describes a logit-lens run, an ablation, an ablation
 * sweep, a patching sweep or a head-score run — model, tokenisation, prompts, settings, metric —
 * so that `hooklens run FILE.json` (and the dashboard) can replay it exactly.
 *
 * Browser-safe: imports zod only (subpath "@hooklens/hooks/experiment-schema"). Strict: an
 * unknown field or a wrong type is an error naming its JSON path and the file.
 *
 * @example
 * import { parseExperimentText } from '@hooklens/hooks/experiment-schema';
 * const experiment = parseExperimentText(`{
 *   "hooklens": 1, "kind": "lens",
 *   "model": { "id": "toy-ioi" },
 *   "tokenization": { "prependBos": true, "paddingSide": "right" },
 *   "prompts": { "prompt": "When Mary and John went to the store , John gave a drink to" }, "topK": 3, "target": "Mary"
 * }`, 'lens.json');
 */
import { z } from 'zod';
import { EXPERIMENT_KINDS, EXPERIMENT_PATCH_KINDS } from './kinds.ts';

export { EXPERIMENT_KINDS, EXPERIMENT_PATCH_KINDS };

/** The file format's version; a later incompatible format gets 2. */
export const EXPERIMENT_VERSION = 1;

const index = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();

/** Text (encoded with the model's tokenizer under `tokenization`) or token ids used exactly as given. */
export const ExperimentPrompt = z.union([z.string().min(1), z.array(index).min(1)], {
  error: 'expected non-empty text or a non-empty array of token ids (integers >= 0)',
});

/** A token: an id, '#ID', or text that encodes to exactly one token. */
export const ExperimentToken = z.union([index, z.string().min(1)], {
  error: "expected a token id (integer >= 0), '#ID', or text that is one token",
});

export const ExperimentModel = z.strictObject({
  /** A path, a shipped model's name or a hub name, as given to --model. A relative path is tried from the working directory, then from the experiment file's folder. */
  id: z.string().min(1),
  tokenizer: z.string().min(1).optional(),
});

export const Tokenization = z.strictObject({
  /** Prepend BOS to text prompts (token-id prompts are used as given). */
  prependBos: z.boolean(),
  /**
   * Where pads go when text prompts of different token lengths form an ablation batch (default
   * 'right'). Pads are masked out: each row's loss, metric and predictions are those of the prompt
   * run alone (metric.position counts the row's own tokens). Token-id prompts are never padded.
   */
  paddingSide: z.enum(['left', 'right']).default('right'),
});

export const LogitDiffMetric = z.strictObject({
  type: z.literal('logit-diff'),
  answer: ExperimentToken,
  wrong: ExperimentToken,
  /** Position the metric reads (default the last; negative counts from the end). */
  position: z.number().int().optional(),
});

const common = {
  hooklens: z.literal(EXPERIMENT_VERSION, { error: `expected ${EXPERIMENT_VERSION} (the experiment file format version)` }),
  /** Free text for people; ignored when running. */
  description: z.string().optional(),
  model: ExperimentModel,
  tokenization: Tokenization,
};

export const LensExperiment = z.strictObject({
  ...common,
  kind: z.literal('lens'),
  prompts: z.strictObject({ prompt: ExperimentPrompt }),
  topK: positiveInt.optional(),
  target: ExperimentToken.optional(),
  includeFinal: z.boolean().optional(),
});

const ablationCommon = {
  ...common,
  prompts: z.strictObject({
    /** Text of any lengths (padded, see tokenization.paddingSide), or token ids of equal length. */
    prompts: z.array(ExperimentPrompt).min(1),
    /** For 'mean' and 'resample' (default: the prompts). */
    reference: z.array(ExperimentPrompt).min(1).optional(),
  }),
  mode: z.enum(['zero', 'mean', 'resample']).default('zero'),
  metric: LogitDiffMetric.optional(),
  /** Without a metric: the position the predictions read (with one, use metric.position). */
  position: z.number().int().optional(),
  seed: z.number().int().optional(),
};

export const AblationExperiment = z.strictObject({
  ...ablationCommon,
  kind: z.literal('ablation'),
  heads: z.array(z.strictObject({ layer: index, head: index })).default([]),
  mlps: z.array(index).default([]),
});

export const AblationSweepExperiment = z.strictObject({
  ...ablationCommon,
  kind: z.literal('ablation-sweep'),
  layers: z.array(index).min(1).optional(),
  /** false: metric only (needs a metric), much faster on large vocabularies. */
  loss: z.boolean().optional(),
  batchSize: positiveInt.optional(),
});

export const PatchingExperiment = z.strictObject({
  ...common,
  kind: z.literal('patching'),
  prompts: z.strictObject({ clean: ExperimentPrompt, corrupted: ExperimentPrompt }),
  patch: z.strictObject({
    kind: z.enum(EXPERIMENT_PATCH_KINDS),
    layers: z.array(index).min(1).optional(),
    heads: z.array(index).min(1).optional(),
    positions: z.array(index).min(1).optional(),
  }),
  metric: LogitDiffMetric,
  batchSize: positiveInt.optional(),
  workers: positiveInt.optional(),
});

export const HeadScoresExperiment = z.strictObject({
  ...common,
  kind: z.literal('head-scores'),
  /** `batch` rows of `seqLen` random tokens repeated twice (BOS first when tokenization.prependBos). */
  prompts: z.strictObject({ repeatedRandomTokens: z.strictObject({ seqLen: z.number().int().min(2).optional(), batch: positiveInt.optional() }) }),
  seed: z.number().int().optional(),
});

export const Experiment = z.discriminatedUnion('kind', [LensExperiment, AblationExperiment, AblationSweepExperiment, PatchingExperiment, HeadScoresExperiment], {
  error: (issue) => (issue.code === 'invalid_union' ? `expected one of ${EXPERIMENT_KINDS.join(', ')}` : undefined),
}).superRefine((experiment, context) => {
  if ((experiment.kind === 'ablation' || experiment.kind === 'ablation-sweep') && experiment.position !== undefined && experiment.metric?.position !== undefined) {
    context.addIssue({ code: 'custom', path: ['position'], message: 'give the position once: metric.position (it is also where the predictions are read)' });
  }
  if (experiment.kind === 'ablation' && experiment.heads.length === 0 && experiment.mlps.length === 0) {
    context.addIssue({ code: 'custom', path: ['heads'], message: 'nothing to ablate: give at least one head or MLP layer' });
  }
  if (experiment.kind === 'patching' && experiment.patch.kind === 'every-block' && experiment.patch.heads !== undefined) {
    context.addIssue({ code: 'custom', path: ['patch', 'heads'], message: "'every-block' patches positions, not heads" });
  }
});

export type ExperimentPrompt = z.infer<typeof ExperimentPrompt>;
export type ExperimentToken = z.infer<typeof ExperimentToken>;
export type ExperimentModel = z.infer<typeof ExperimentModel>;
export type Tokenization = z.infer<typeof Tokenization>;
export type LogitDiffMetric = z.infer<typeof LogitDiffMetric>;
export type LensExperiment = z.infer<typeof LensExperiment>;
export type AblationExperiment = z.infer<typeof AblationExperiment>;
export type AblationSweepExperiment = z.infer<typeof AblationSweepExperiment>;
export type PatchingExperiment = z.infer<typeof PatchingExperiment>;
export type HeadScoresExperiment = z.infer<typeof HeadScoresExperiment>;
/** A validated experiment, defaults filled in. */
export type Experiment = z.infer<typeof Experiment>;
/** An experiment as written in a file (defaulted fields optional). */
export type ExperimentInput = z.input<typeof Experiment>;
export type ExperimentKind = Experiment['kind'];

/** A file that is not a valid experiment. The message is one line naming the file and the JSON path. */
export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

/** Validates parsed JSON; `source` (a file name) starts the error message. */
export function parseExperiment(value: unknown, source = 'experiment'): Experiment {
  const parsed = Experiment.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 3).map(describeIssue);
  const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : '';
  throw new ExperimentError(`${source}: ${problems.join('; ')}${more}`);
}

/** JSON text → experiment; invalid JSON is an ExperimentError too. */
export function parseExperimentText(text: string, source = 'experiment'): Experiment {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExperimentError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseExperiment(value, source);
}

/** 'experiment.prompts.clean: expected string, received number'. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = ['experiment', ...issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : String(key)))].join('.').replace(/\.\[/g, '[');
  if (issue.code === 'unrecognized_keys') return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  const message = issue.message.replace(/^Invalid (input|option): /, '');
  if (issue.code === 'invalid_type' && message.endsWith('received undefined')) return `${path}: missing (expected ${issue.expected})`;
  return `${path}: ${message}`;
}
