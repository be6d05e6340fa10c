/**
 * `--save-experiment FILE`: every analysis command can write the experiment it ran as an
 * experiment file (@hooklens/hooks' schema), which `hooklens run FILE` replays with the same
 * numbers. The command names only its kind-specific settings; the model, tokenisation and
 * file-format fields come from here.
 */
import type { ExperimentInput, LogitDiffMetric } from '@hooklens/hooks';
import type { HookedTransformer } from '@hooklens/core';
import { stringOption } from './args.ts';
import type { OptionSpec, OptionValues } from './args.ts';
import { checkWritable } from './outputPath.ts';

export const SAVE_EXPERIMENT_OPTION: OptionSpec = {
  name: 'save-experiment',
  type: 'string',
  value: 'FILE',
  description: 'also write the experiment this command ran as JSON; `hooklens run FILE` replays it',
};

/** The --save-experiment path, checked writable before any work; undefined when not given. */
export function experimentPath(values: OptionValues): string | undefined {
  const path = stringOption(values, SAVE_EXPERIMENT_OPTION.name);
  if (path !== undefined) checkWritable(path);
  return path;
}

/** The experiment fields a command sets itself (kind, prompts, settings). */
type KindSettings = ExperimentInput extends infer E ? (E extends unknown ? Omit<E, 'hooklens' | 'model' | 'tokenization'> : never) : never;

/**
 * Writes the experiment to `path` (no-op when undefined): the command's settings plus the
 * model as given to --model/--tokenizer and the BOS choice the command made (--no-bos, or
 * the model family's default), so a replay encodes text prompts identically.
 */
export async function saveExperiment(path: string | undefined, values: OptionValues, model: HookedTransformer, settings: KindSettings): Promise<void> {
  if (path === undefined) return;
  const [{ parseExperiment }, { writeJsonAtomic }] = await Promise.all([import('@hooklens/hooks'), import('@hooklens/core')]);
  const tokenizer = stringOption(values, 'tokenizer');
  // hooklens and kind first, so the file reads from the top.
  const experiment = parseExperiment(Object.assign({ hooklens: 1, kind: settings.kind }, {
    model: { id: stringOption(values, 'model')!, ...(tokenizer !== undefined && { tokenizer }) },
    tokenization: { prependBos: values['no-bos'] === true ? false : model.config.defaultPrependBos, paddingSide: 'right' },
  }, settings), path);
  writeJsonAtomic(path, experiment, 2);
  process.stderr.write(`experiment saved to ${path}\n`);
}

/** `{ metric }` with the position when answer/wrong are given, else `{ position }` alone (what ablation reads predictions at). */
export function metricSettings(answer: string | undefined, wrong: string | undefined, position: number | undefined): { metric?: LogitDiffMetric; position?: number } {
  if (answer !== undefined && wrong !== undefined) return { metric: { type: 'logit-diff', answer, wrong, ...(position !== undefined && { position }) } };
  return position === undefined ? {} : { position };
}
