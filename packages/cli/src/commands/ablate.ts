import type { AblationMode, HeadRef, TokenPrediction } from '@hooklens/hooks';
import type { HookedTransformer } from '@hooklens/core';
import type { Command } from './command.ts';
import { formatHeadGrid, topHeads } from './heads.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { numberOption, stringOption } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import { openModel } from '../openModel.ts';
import { progressBar } from '../progressBar.ts';
import { readTokensFile } from '../tokensFile.ts';
import { experimentPath, metricSettings, SAVE_EXPERIMENT_OPTION, saveExperiment } from '../saveExperiment.ts';

const MODES: readonly AblationMode[] = ['zero', 'mean', 'resample'];

export const ablateCommand: Command = {
  name: 'ablate',
  summary: 'knock out attention heads or MLP layers and measure the change in loss (or sweep every head)',
  usage: 'ablate --model PATH (--prompt TEXT | --tokens-file F) (--heads L.H,… [--mlps L,…] | --sweep) [--mode zero|mean|resample] [--answer TOKEN --wrong TOKEN] [--json]',
  details: [
    'Ablates the given heads (their slice of blocks.L.attn.hook_z) and MLP layers (blocks.L.hook_mlp_out) together and reports the ' +
      'next-token loss (mean cross-entropy over the prompt) clean and ablated, the top-5 next tokens at --position, and with --answer/--wrong the ' +
      'logit difference answer − wrong at --position (default: the last token).',
    '--mode zero writes 0; mean writes the mean activation over --reference-file (default: the prompts) and all its positions; ' +
      'resample writes each row the activation of a different row of a same-length reference batch (--seed picks which).',
    '--sweep ablates every head in turn (batched: several ablated copies per forward pass, each starting at the ablated layer) and prints the ' +
      '[layer × head] grid of loss changes (and metric changes with --answer/--wrong). --json prints lossDelta/metricDelta as [layer][head] arrays.',
    'TOKEN is text that encodes to one token ("Mary" for toy-ioi, " Mary" for GPT-2) or #ID. --tokens-file holds a JSON batch [[id, …], …] used exactly as given.',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'prompt', type: 'string', value: 'TEXT', description: "text to encode with the model's tokenizer" },
    { name: 'tokens-file', type: 'string', value: 'FILE', description: 'JSON file with token ids [[id, …], …] instead of --prompt' },
    { name: 'no-bos', type: 'boolean', description: "with --prompt: do not prepend BOS (default: the model family's default)" },
    { name: 'heads', type: 'string', value: 'L.H,…', description: 'heads to ablate, e.g. 0.1,2.3 (layer.head)' },
    { name: 'mlps', type: 'string', value: 'L,…', description: 'MLP layers to ablate, e.g. 0,3' },
    { name: 'sweep', type: 'boolean', description: 'ablate every head in turn and print the grid of changes' },
    { name: 'mode', type: 'string', value: 'MODE', description: 'zero (default), mean or resample' },
    { name: 'reference-file', type: 'string', value: 'FILE', description: 'JSON token batch for mean/resample values (default: the prompts)' },
    { name: 'seed', type: 'string', value: 'S', description: 'resample: seed for which reference row each prompt takes (default 0)' },
    { name: 'answer', type: 'string', value: 'TOKEN', description: 'correct next token for the logit-difference metric' },
    { name: 'wrong', type: 'string', value: 'TOKEN', description: 'competing next token for the logit-difference metric' },
    { name: 'position', type: 'string', value: 'P', description: 'position the metric and predictions read (default -1, the last; negative counts from the end)' },
    { name: 'batch-size', type: 'string', value: 'N', description: "--sweep: ablated copies per forward pass (default: what fits the sweep memory budget, at most a layer's heads)" },
    { name: 'json', type: 'boolean', description: 'print one JSON object instead of tables' },
    SAVE_EXPERIMENT_OPTION,
  ],
  examples: [
    'hooklens ablate --model toy-induction --prompt "t5 t17 t3 t42 t8 t30 t11 t26 t5 t17 t3 t42 t8 t30 t11 t26" --heads 1.0',
    'hooklens ablate --model toy-ioi --prompt "When Mary and John went to the store , John gave a drink to" --sweep --answer Mary --wrong John',
  ],
  async run(values, globals) {
    const command = 'ablate';
    const prompt = stringOption(values, 'prompt');
    const tokensFile = stringOption(values, 'tokens-file');
    if ((prompt === undefined) === (tokensFile === undefined)) throw new UsageError('ablate: give exactly one of --prompt TEXT or --tokens-file FILE');
    if (tokensFile !== undefined && values['no-bos']) throw new UsageError('ablate: --no-bos applies to --prompt only; --tokens-file is used exactly as given');
    const sweep = values.sweep === true;
    const headsText = stringOption(values, 'heads');
    const mlpsText = stringOption(values, 'mlps');
    if (sweep && (headsText !== undefined || mlpsText !== undefined)) throw new UsageError('ablate: --sweep ablates every head in turn; drop --heads/--mlps');
    if (!sweep && headsText === undefined && mlpsText === undefined) throw new UsageError('ablate: give --heads L.H,… and/or --mlps L,… to ablate, or --sweep');
    const heads = headsText === undefined ? [] : parseHeads(headsText);
    const mlps = mlpsText === undefined ? [] : parseLayers(mlpsText);
    const mode = (stringOption(values, 'mode') ?? 'zero') as AblationMode;
    if (!MODES.includes(mode)) throw new UsageError(`ablate: unknown --mode '${mode}'; modes: ${MODES.join(', ')}`);
    const answer = stringOption(values, 'answer');
    const wrong = stringOption(values, 'wrong');
    if ((answer === undefined) !== (wrong === undefined)) throw new UsageError('ablate: --answer and --wrong go together (the metric is logit[answer] − logit[wrong])');
    const position = numberOption(values, 'position', command, { integer: true });
    const seed = numberOption(values, 'seed', command, { integer: true });
    const batchSize = numberOption(values, 'batch-size', command, { integer: true, min: 1 });
    if (batchSize !== undefined && !sweep) throw new UsageError('ablate: --batch-size applies to --sweep only');
    const referenceFile = stringOption(values, 'reference-file');
    if (referenceFile !== undefined && mode === 'zero') throw new UsageError('ablate: --reference-file needs --mode mean or resample');
    const fileRows = tokensFile === undefined ? undefined : readTokensFile(tokensFile);
    const reference = referenceFile === undefined ? undefined : readTokensFile(referenceFile);
    if (mode === 'resample' && reference === undefined && (fileRows?.length ?? 1) < 2) {
      throw new UsageError(`ablate: --mode resample takes each activation from another prompt, but ${fileRows ? `${tokensFile} has one row` : '--prompt gives one'}: ` +
        'add --reference-file FILE (a JSON batch [[id, …], …] as long as the prompt), or give several same-length prompts with --tokens-file FILE');
    }
    const saveTo = experimentPath(values);

    const [{ ablate, ablationSweep, promptTokens }, { warnUnknownWords }] = await Promise.all([import('@hooklens/hooks'), import('../unknownWords.ts')]);
    const { model, path } = await openModel(values, globals);
    try {
      const rows = fileRows ?? [promptTokens(model, prompt!, values['no-bos'] ? { prependBos: false } : {})];
      if (fileRows === undefined) warnUnknownWords(model, rows[0], prompt!, '--prompt');
      const common = {
        mode,
        ...(reference && { reference }),
        ...(answer !== undefined && { answer, wrong: wrong! }),
        ...(position !== undefined && { position }),
        ...(seed !== undefined && { seed }),
      };
      const json = values.json === true;
      const saved = { prompts: { prompts: fileRows ?? [prompt!], ...(reference && { reference }) }, mode, ...metricSettings(answer, wrong, position), ...(seed !== undefined && { seed }) };
      if (sweep) {
        const progress = progressBar('sweeping heads');
        const result = await withFileContext(tokensFile, referenceFile, () => ablationSweep(model, rows, { ...common, ...(batchSize !== undefined && { batchSize }), onProgress: progress.update }))
          .finally(progress.end);
        await saveExperiment(saveTo, values, model, { kind: 'ablation-sweep', ...saved, ...(batchSize !== undefined && { batchSize }) });
        if (json) {
          process.stdout.write(`${JSON.stringify({ model: path, tokens: rows, mode, ...metricTokens(answer, wrong), ...result })}\n`);
        } else {
          const lines = [
            `mode ${mode}; clean loss ${result.lossClean.toFixed(4)}; Δ loss when each head is ablated [layer × head]:`,
            formatHeadGrid(result.lossDelta, { digits: 3, signed: true }),
            `most important (largest loss increase): ${topHeads(result.lossDelta, 5).map(headLabel).join(', ')}`,
          ];
          if (result.metricDelta) {
            lines.push('', `logit difference ${JSON.stringify(answer)} − ${JSON.stringify(wrong)}: clean ${result.metricClean!.toFixed(4)}; Δ per ablated head:`,
              formatHeadGrid(result.metricDelta, { digits: 3, signed: true }),
              `largest drops: ${topHeads(result.metricDelta, 5, true).map(headLabel).join(', ')}`);
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        return;
      }
      const result = await withFileContext(tokensFile, referenceFile, () => ablate(model, rows, { ...common, heads, mlps }));
      await saveExperiment(saveTo, values, model, { kind: 'ablation', ...saved, heads, mlps });
      const ablated = { heads: heads.map(({ layer, head }) => `${layer}.${head}`), mlps };
      if (json) {
        process.stdout.write(`${JSON.stringify({ model: path, tokens: rows, mode, ...ablated, ...metricTokens(answer, wrong), ...result })}\n`);
        return;
      }
      const what = [ablated.heads.length ? `heads ${ablated.heads.join(', ')}` : '', mlps.length ? `MLPs ${mlps.join(', ')}` : ''].filter(Boolean).join('; ');
      const lines = [
        `ablated ${what} (mode ${mode})`,
        `loss        clean ${result.lossClean.toFixed(4)} → ablated ${result.lossAblated.toFixed(4)} (Δ ${signed(result.lossDelta)})`,
      ];
      if (result.metricDelta !== undefined) {
        lines.push(`logit diff  clean ${result.metricClean!.toFixed(4)} → ablated ${result.metricAblated!.toFixed(4)} (Δ ${signed(result.metricDelta)})  [${JSON.stringify(answer)} − ${JSON.stringify(wrong)} at position ${result.position}]`);
      }
      lines.push('', ...formatPredictions(model, rows, result.position, result.predictions));
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      model.dispose();
    }
  },
};

/** "0.1,2.3" → heads; the layer/head ranges are the tool's to check (it knows the model). */
export function parseHeads(text: string): HeadRef[] {
  return text.split(',').map((item) => item.trim()).map((item) => {
    const match = /^(\d+)\.(\d+)$/.exec(item);
    if (!match) throw new UsageError(`ablate: --heads: '${item}' is not LAYER.HEAD (e.g. --heads 0.1,2.3)`);
    return { layer: Number(match[1]), head: Number(match[2]) };
  });
}

function parseLayers(text: string): number[] {
  return text.split(',').map((item) => item.trim()).map((item) => {
    if (!/^\d+$/.test(item)) throw new UsageError(`ablate: --mlps: '${item}' is not a layer number (e.g. --mlps 0,3)`);
    return Number(item);
  });
}

/** Token errors the model finds in a file's ids name the file they came from. */
async function withFileContext<T>(tokensFile: string | undefined, referenceFile: string | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const file = tokensFile ?? referenceFile;
    if (file !== undefined && (error as Error).name === 'TokensError') throw new CliError(`${file}: ${(error as Error).message}`);
    throw error;
  }
}

function metricTokens(answer: string | undefined, wrong: string | undefined) {
  return answer === undefined ? {} : { answer, wrong };
}

function headLabel({ layer, head, value }: { layer: number; head: number; value: number }): string {
  return `${layer}.${head} (${signed(value)})`;
}

function signed(value: number): string {
  return `${value > 0 ? '+' : ''}${value.toFixed(4)}`;
}

function formatPredictions(model: HookedTransformer, rows: number[][], position: number, predictions: { clean: TokenPrediction[]; ablated: TokenPrediction[] }[]): string[] {
  const label = (p: TokenPrediction) => `${p.text !== undefined ? JSON.stringify(p.text) : `#${p.token}`} ${(100 * p.probability).toFixed(1)}%`;
  const lines: string[] = [];
  predictions.forEach(({ clean, ablated }, row) => {
    const at = model.tokenizer ? JSON.stringify(model.toString(rows[row].slice(Math.max(0, position - 2), position + 1))) : `#${rows[row][position]}`;
    lines.push(`top-5 next tokens${predictions.length > 1 ? ` (row ${row})` : ''} after …${at} (position ${position}):`);
    const width = Math.max(5, ...clean.map((p) => label(p).length));
    lines.push(`  ${'clean'.padEnd(width)}  ablated`);
    clean.forEach((p, k) => lines.push(`  ${label(p).padEnd(width)}  ${ablated[k] ? label(ablated[k]) : ''}`));
  });
  return lines;
}

