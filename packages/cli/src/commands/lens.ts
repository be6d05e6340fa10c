import type * as UnknownWords from '../unknownWords.ts';
import type { LogitLensResult } from '@hooklens/hooks';
import type { HookedTransformer } from '@hooklens/core';
import type { Command } from './command.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { numberOption, stringOption } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import { openModel } from '../openModel.ts';
import { readTokensFile } from '../tokensFile.ts';
import { experimentPath, SAVE_EXPERIMENT_OPTION, saveExperiment } from '../saveExperiment.ts';

/** What the grid's rows are, as rowLabel names them. */
const ROWS_NOTE = 'rows: Ln = the residual stream entering block n (blocks.n.hook_resid_pre; L0 is the embeddings alone, Ln adds blocks 0…n-1), final = after the last block';

export const lensCommand: Command = {
  name: 'lens',
  summary: 'logit lens: what the model would predict at each layer boundary, at each position',
  usage: 'lens --model PATH (--prompt TEXT | --tokens-file FILE) [--target TOKEN] [--top-k K] [--json] [--no-bos]',
  details: [
    'Reads the residual stream at every layer boundary (each blocks.L.hook_resid_pre, then the final residual) through the final norm ' +
      'and the unembedding, as if it were the last layer. The last row is the model\'s own prediction. ' +
      'Prints a layers × positions grid of the most likely next token and its probability. ' +
      `${ROWS_NOTE[0].toUpperCase()}${ROWS_NOTE.slice(1)}.`,
    '--target TOKEN follows one token through the layers: its probability and rank (0 = top). TOKEN is text that encodes to exactly one token, or #ID.',
    '--json prints { "layers", "positions", "top": [layer][pos][{token, id, prob}…], "target": [layer][pos]{prob, rank, logit} (with --target), ' +
      '"entropy": [layer][pos] (nats), "klToFinal": [layer][pos] (KL(final ‖ layer), nats) }.',
    '--tokens-file FILE holds one row of token ids [id, …] (or [[id, …]]), used exactly as given (no BOS added).',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'prompt', type: 'string', value: 'TEXT', description: "text to encode with the model's tokenizer" },
    { name: 'tokens-file', type: 'string', value: 'FILE', description: 'JSON file with one row of token ids instead of --prompt' },
    { name: 'target', type: 'string', value: 'TOKEN', description: 'a token to follow through the layers: one-token text or #ID' },
    { name: 'top-k', type: 'string', value: 'K', description: 'how many top tokens per cell in --json (default 5; the grid shows the first)' },
    { name: 'json', type: 'boolean', description: 'print one JSON object instead of the grid' },
    { name: 'no-bos', type: 'boolean', description: "with --prompt: do not prepend BOS (default: the model family's default)" },
    SAVE_EXPERIMENT_OPTION,
  ],
  examples: [
    'hooklens lens --model toy-ioi --prompt "When Mary and John went to the store , John gave a drink to"',
    'hooklens lens --model path/to/gpt2 --prompt "The Eiffel Tower is in the city of" --target " Paris" --json',
  ],
  async run(values, globals) {
    const command = 'lens';
    const prompt = stringOption(values, 'prompt');
    const tokensFile = stringOption(values, 'tokens-file');
    if ((prompt === undefined) === (tokensFile === undefined)) throw new UsageError('lens: give exactly one of --prompt TEXT or --tokens-file FILE');
    if (tokensFile !== undefined && values['no-bos']) throw new UsageError('lens: --no-bos applies to --prompt only; --tokens-file is used exactly as given');
    const topK = numberOption(values, 'top-k', command, { integer: true, min: 1 }) ?? 5;
    const targetText = stringOption(values, 'target');
    const fileTokens = tokensFile === undefined ? undefined : oneRow(readTokensFile(tokensFile), tokensFile);
    const saveTo = experimentPath(values);

    const [{ logitLens, resolveToken }, { encodeWarningUnknown }] = await Promise.all([import('@hooklens/hooks'), import('../unknownWords.ts')]);
    const { model } = await openModel(values, globals);
    try {
      // BOS as the model family does it unless --no-bos (what saveExperiment records, so a replay matches).
      const tokens = fileTokens ?? encodePrompt(model, encodeWarningUnknown, prompt!, values['no-bos'] === true ? { prependBos: false } : {});
      const target = targetText === undefined ? undefined : resolveToken(model, targetText, 'target');
      let lens: LogitLensResult;
      try {
        lens = logitLens(model, tokens, { topK: Math.min(topK, model.config.dVocab), ...(target !== undefined && { target }) });
      } catch (error) {
        // Out-of-vocabulary ids and too-long rows are found by the model; say which file they came from.
        if (tokensFile !== undefined && (error as Error).name === 'TokensError') throw new CliError(`${tokensFile}: ${(error as Error).message}`);
        throw error;
      }
      await saveExperiment(saveTo, values, model, { kind: 'lens', prompts: { prompt: fileTokens ?? prompt! }, topK: Math.min(topK, model.config.dVocab), ...(targetText !== undefined && { target: targetText }) });
      if (values.json) {
        const { layers, positions, top, entropy, klToFinal } = lens;
        process.stdout.write(`${JSON.stringify({ layers, positions, top, ...(lens.target && { target: lens.target }), entropy, klToFinal })}\n`);
      } else {
        process.stdout.write(`${formatLens(lens, model, target)}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};

function oneRow(rows: number[][], path: string): number[] {
  if (rows.length !== 1) throw new CliError(`${path}: lens reads one prompt, but the file has ${rows.length} rows`);
  return rows[0];
}

/** The prompt's ids; an empty or blank prompt is an error, as in ablate and patch. */
function encodePrompt(model: HookedTransformer, encode: typeof UnknownWords.encodeWarningUnknown, prompt: string, options: { prependBos?: boolean }): number[] {
  if (!model.tokenizer) throw new CliError('this model has no tokenizer to encode --prompt; pass --tokenizer PATH or give token ids with --tokens-file');
  const ids = encode(model, prompt, options, 'prompt', '--prompt');
  if (ids.length === 0) throw new CliError('--prompt encodes to no tokens');
  return ids;
}

/** 'blocks.3.hook_resid_pre' → 'L3', the last layer's resid_post → 'final'. */
function rowLabel(layer: string): string {
  const match = /^blocks\.(\d+)\.hook_resid_pre$/.exec(layer);
  return match ? `L${match[1]}` : 'final';
}

/** A token as a grid cell shows it: quoted, with escapes, so spaces and newlines are visible. */
function show(token: string, width = 12): string {
  const quoted = JSON.stringify(token);
  return quoted.length > width ? `${quoted.slice(0, width - 2)}…"` : quoted;
}

/** Layers × positions: each cell the top next token and its probability (and the target's). */
export function formatLens(lens: LogitLensResult, model: HookedTransformer, target: number | undefined): string {
  const header = ['', ...lens.positions.map((token) => show(token))];
  const grid = (cell: (layer: number, position: number) => string) =>
    lens.layers.map((layer, l) => [rowLabel(layer), ...lens.positions.map((_, p) => cell(l, p))]);
  const blocks = [
    'top next token (probability); columns are input positions',
    ROWS_NOTE,
    table([header, ...grid((l, p) => `${show(lens.top[l][p][0].token)} ${percent(lens.top[l][p][0].prob)}`)]),
  ];
  if (lens.target && target !== undefined) {
    const name = model.tokenizer ? `${JSON.stringify(model.tokenizer.tokenToString(target))} (#${target})` : `#${target}`;
    blocks.push('', `target ${name}: probability, rank (0 = top)`, table([header, ...grid((l, p) => `${percent(lens.target![l][p].prob)} r${lens.target![l][p].rank}`)]));
  }
  return blocks.join('\n');
}

function percent(prob: number): string {
  return prob >= 0.995 ? '100%' : `${(prob * 100).toFixed(prob < 0.095 ? 1 : 0)}%`;
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}
