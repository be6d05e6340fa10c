import { EXPERIMENT_PATCH_KINDS } from '@hooklens/hooks/experiment-kinds';
import type * as UnknownWords from '../unknownWords.ts';
import type { PatchingResult, PatchKind } from '@hooklens/hooks';
import type { HookedTransformer } from '@hooklens/core';
import type { Command } from './command.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { progressBar } from '../progressBar.ts';
import { numberOption, stringOption } from '../args.ts';
import type { OptionValues } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import { openModel } from '../openModel.ts';
import { readTokensFile } from '../tokensFile.ts';
import { experimentPath, SAVE_EXPERIMENT_OPTION, saveExperiment } from '../saveExperiment.ts';

/** @hooklens/hooks' PATCH_KINDS (checked to agree), without loading tfjs or zod for --help. */
const PATCH_KINDS = EXPERIMENT_PATCH_KINDS.filter((kind) => kind !== 'every-block');

/** Below this many parameters a sweep ends before worker threads have loaded the model. */
const WORKER_MIN_PARAMS = 10_000_000;

export const patchCommand: Command = {
  name: 'patch',
  summary: 'activation patching: copy clean activations into a corrupted run, cell by cell',
  usage: 'patch --model PATH (--clean TEXT | --clean-tokens-file FILE) (--corrupt TEXT | --corrupt-tokens-file FILE) --answer TOKEN --wrong TOKEN --kind KIND [--batch-size N] [--workers N] [--json]',
  details: [
    'Runs the corrupted prompt with one activation of the clean prompt patched in — at each (layer, position) for ' +
      'resid_pre, resid_mid, attn_out, mlp_out; at each (layer, head) over all positions for z, q, k, v, pattern; ' +
      'at each (layer, head, position) for z_by_pos, q_by_pos, k_by_pos, v_by_pos, pattern_by_pos (pattern: the query position) — ' +
      'and reports the logit difference answer − wrong at the last position, normalised so the clean run is 1 and the corrupted run 0.',
    'The two prompts must have the same number of tokens. --answer and --wrong are each one token: its text (e.g. "Mary" for toy-ioi, " Mary" for GPT-2) or #ID. ' +
      'Tokens files hold a JSON array of ids [id, …] (or [[id, …]]), used exactly as given.',
    'Cells run in batches of --batch-size (default: chosen from memory), each starting at its own layer from the cached corrupted residual. ' +
      '--workers N spreads them over N threads (default 2 on a machine with 2+ cores for models of 10M+ parameters on the wasm/cpu backends).',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'clean', type: 'string', value: 'TEXT', description: 'the clean prompt' },
    { name: 'corrupt', type: 'string', value: 'TEXT', description: 'the corrupted prompt (same token count)' },
    { name: 'clean-tokens-file', type: 'string', value: 'FILE', description: 'JSON token ids of the clean prompt, instead of --clean' },
    { name: 'corrupt-tokens-file', type: 'string', value: 'FILE', description: 'JSON token ids of the corrupted prompt, instead of --corrupt' },
    { name: 'answer', type: 'string', value: 'TOKEN', required: true, description: 'the correct next token (text of one token, or #ID)' },
    { name: 'wrong', type: 'string', value: 'TOKEN', required: true, description: 'the competing token (text of one token, or #ID)' },
    { name: 'kind', type: 'string', value: 'KIND', required: true, description: `what to patch: ${PATCH_KINDS.join(', ')}` },
    { name: 'batch-size', type: 'string', value: 'N', description: 'patched runs per forward pass (default: chosen from memory, at most 32)' },
    { name: 'workers', type: 'string', value: 'N', description: 'worker threads (default: see above; 1 = this thread only)' },
    { name: 'no-bos', type: 'boolean', description: "with --clean/--corrupt: do not prepend BOS (default: the model family's default)" },
    { name: 'json', type: 'boolean', description: 'print one JSON object: kind, rows, cols, values, clean, corrupted' },
    SAVE_EXPERIMENT_OPTION,
  ],
  examples: [
    'hooklens patch --model toy-ioi --clean "When Mary and John went to the store , John gave a drink to" ' +
      '--corrupt "When Mary and John went to the store , Mary gave a drink to" --answer Mary --wrong John --kind resid_pre',
    'hooklens patch --model path/to/gpt2 --clean-tokens-file clean.json --corrupt-tokens-file corrupt.json --answer " Mary" --wrong " John" --kind z --json',
  ],
  async run(values, globals) {
    const command = 'patch';
    const kind = stringOption(values, 'kind')!;
    if (!(PATCH_KINDS as readonly string[]).includes(kind)) throw new UsageError(`patch: unknown --kind '${kind}'; kinds: ${PATCH_KINDS.join(', ')}`);
    const batchSize = numberOption(values, 'batch-size', command, { integer: true, min: 1 });
    const workersOption = numberOption(values, 'workers', command, { integer: true, min: 1 });
    const cleanSource = promptSource(values, 'clean', 'clean-tokens-file');
    const corruptSource = promptSource(values, 'corrupt', 'corrupt-tokens-file');
    if (values['no-bos'] && cleanSource.file !== undefined && corruptSource.file !== undefined) throw new UsageError('patch: --no-bos applies to --clean/--corrupt text only; tokens files are used exactly as given');
    const cleanFileTokens = cleanSource.file === undefined ? undefined : oneRow(cleanSource.file);
    const corruptFileTokens = corruptSource.file === undefined ? undefined : oneRow(corruptSource.file);
    const saveTo = experimentPath(values);

    const [{ activationPatching, availableCores, resolveToken }, { encodeWarningUnknown }] = await Promise.all([import('@hooklens/hooks'), import('../unknownWords.ts')]);
    const { model } = await openModel(values, globals);
    try {
      const prependBos = values['no-bos'] === true ? { prependBos: false } : {};
      const clean = cleanFileTokens ?? encode(model, encodeWarningUnknown, cleanSource.text!, prependBos, 'clean prompt', '--clean');
      const corrupted = corruptFileTokens ?? encode(model, encodeWarningUnknown, corruptSource.text!, prependBos, 'corrupted prompt', '--corrupt');
      const answer = resolveToken(model, stringOption(values, 'answer')!, 'answer');
      const wrong = resolveToken(model, stringOption(values, 'wrong')!, 'wrong');
      const workers = workersOption ?? (availableCores() >= 2 && model.numParams() >= WORKER_MIN_PARAMS ? 2 : 1);
      const progress = progressBar(`patching ${kind}`);
      const result = await activationPatching(model, clean, corrupted, {
        kind: kind as PatchKind, answer, wrong, workers, onProgress: progress.update,
        ...(batchSize !== undefined && { batchSize }),
      }).finally(progress.end);
      await saveExperiment(saveTo, values, model, {
        kind: 'patching', prompts: { clean: cleanFileTokens ?? cleanSource.text!, corrupted: corruptFileTokens ?? corruptSource.text! }, patch: { kind: kind as PatchKind },
        metric: { type: 'logit-diff', answer: stringOption(values, 'answer')!, wrong: stringOption(values, 'wrong')! },
        ...(batchSize !== undefined && { batchSize }), ...(workersOption !== undefined && { workers: workersOption }),
      });
      process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatPatching(result)}\n`);
    } finally {
      model.dispose();
    }
  },
};

/** Exactly one of --NAME TEXT or --NAME-tokens-file FILE. */
function promptSource(values: OptionValues, textOption: string, fileOption: string): { text?: string; file?: string } {
  const text = stringOption(values, textOption);
  const file = stringOption(values, fileOption);
  if ((text === undefined) === (file === undefined)) throw new UsageError(`patch: give exactly one of --${textOption} TEXT or --${fileOption} FILE`);
  return text !== undefined ? { text } : { file };
}

function oneRow(path: string): number[] {
  const rows = readTokensFile(path);
  if (rows.length !== 1) throw new CliError(`${path}: holds ${rows.length} prompts; patching takes one prompt per file ([id, …])`);
  return rows[0];
}

function encode(model: HookedTransformer, encodeWarning: typeof UnknownWords.encodeWarningUnknown, text: string, options: { prependBos?: boolean }, what: string, option: string): number[] {
  if (!model.tokenizer) throw new CliError(`this model has no tokenizer to encode the ${what}; pass --tokenizer PATH or give token ids in a tokens file`);
  return encodeWarning(model, text, options, what, option);
}

const SHADES = [' ', '░', '▒', '▓', '█'];

/** A value to 2 decimals with a shade for |value| (1 = full block), so the grid reads as a heatmap. */
function cell(value: number): string {
  const shade = SHADES[Math.min(SHADES.length - 1, Math.round(Math.min(1, Math.abs(value)) * (SHADES.length - 1)))];
  return `${value.toFixed(2).padStart(6)}${shade}`;
}

/** Rows × columns of cells under a header; `corner` heads the label column. */
function grid(corner: string, rowLabels: string[], colLabels: string[], values: (row: number, col: number) => number): string[] {
  const labelWidth = Math.max(corner.length, ...rowLabels.map((label) => label.length));
  const width = Math.max(7, ...colLabels.map((label) => label.length));
  const lines = [`${corner.padEnd(labelWidth)}  ${colLabels.map((label) => label.padStart(width)).join(' ')}`];
  rowLabels.forEach((label, r) => lines.push(`${label.padEnd(labelWidth)}  ${colLabels.map((_, c) => cell(values(r, c)).padStart(width)).join(' ')}`));
  return lines;
}

/**
 * The human-readable result. Position grids are printed one position per line (layers across),
 * which fits a terminal for long prompts; head grids one layer per line; by-position head grids
 * one block per layer (positions down, heads across).
 */
export function formatPatching(result: PatchingResult): string {
  const lines = [`${result.kind} patching: metric clean ${result.clean.toFixed(4)}, corrupted ${result.corrupted.toFixed(4)}; values normalised (clean = 1, corrupted = 0)`, ''];
  if ('positions' in result) {
    result.rows.forEach((layer, l) => {
      lines.push(...grid(layer, result.positions, result.cols, (p, h) => result.values[l][h][p]), '');
    });
    lines.pop();
  } else if (result.cols.every((label) => label.startsWith('pos '))) {
    lines.push(...grid('position', result.cols, result.rows, (p, l) => result.values[l][p]));
  } else {
    lines.push(...grid('layer', result.rows, result.cols, (l, h) => result.values[l][h]));
  }
  return lines.join('\n');
}
