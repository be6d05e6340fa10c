import type { HookedTransformer } from '@hooklens/core';
import type { HostTensor } from '@hooklens/core';
import type { Command } from './command.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { stringOption } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import { openModel } from '../openModel.ts';
import { checkWritable } from '../outputPath.ts';
import { readTokensFile } from '../tokensFile.ts';
import { warnUnknownWords } from '../unknownWords.ts';

export const cacheCommand: Command = {
  name: 'cache',
  summary: 'run the model and save the logits and every activation to a .safetensors file',
  usage: 'cache --model PATH (--prompt TEXT | --tokens-file FILE) --out FILE.safetensors [--names REGEX] [--no-bos]',
  details: [
    'Runs one forward pass with runWithCache and writes float32 tensors named by hook name ' +
      '(e.g. blocks.0.attn.hook_pattern [batch, head, query, key]) plus "logits" [batch, pos, vocab]. ' +
      'The file metadata holds the model path and the input tokens as JSON. ' +
      'The file is written atomically: on any error no output file is left behind.',
    '--tokens-file FILE holds a JSON batch [[id, …], …] of equal-length rows, used exactly as given (no BOS added).',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'prompt', type: 'string', value: 'TEXT', description: "text to encode with the model's tokenizer" },
    { name: 'tokens-file', type: 'string', value: 'FILE', description: 'JSON file with token ids [[id, …], …] instead of --prompt' },
    { name: 'out', type: 'string', value: 'FILE', required: true, description: 'output .safetensors file' },
    { name: 'names', type: 'string', value: 'REGEX', description: 'cache only hook names matching this regular expression (default: all)' },
    { name: 'no-bos', type: 'boolean', description: 'with --prompt: do not prepend BOS (default: the model family\'s default)' },
  ],
  examples: [
    'hooklens cache --model toy-ioi --prompt "When Mary and John went to the store , John gave a drink to" --out acts.safetensors',
    "hooklens cache --model path/to/gpt2 --tokens-file batch.json --names 'hook_(resid_post|pattern)$' --out acts.safetensors",
  ],
  async run(values, globals) {
    const prompt = stringOption(values, 'prompt');
    const tokensFile = stringOption(values, 'tokens-file');
    if ((prompt === undefined) === (tokensFile === undefined)) throw new UsageError('cache: give exactly one of --prompt TEXT or --tokens-file FILE');
    if (tokensFile !== undefined && values['no-bos']) throw new UsageError('cache: --no-bos applies to --prompt only; --tokens-file is used exactly as given');
    const namesPattern = compilePattern(stringOption(values, 'names'));
    const out = stringOption(values, 'out')!;
    checkWritable(out);
    const fileRows = tokensFile === undefined ? undefined : readTokensFile(tokensFile);

    const [{ writeSafetensors }, { checkCacheFits }] = await Promise.all([import('@hooklens/core'), import('../memoryCheck.ts')]);
    const { model, path } = await openModel(values, globals);
    try {
      const rows = fileRows ?? [encodePrompt(model, prompt!, !values['no-bos'])];
      const names = selectNames(model, namesPattern);
      checkCacheFits(model, rows, names);
      const tensors = runAndCollect(model, rows, names, tokensFile);
      writeSafetensors(out, tensors, { metadata: { format: 'hooklens-cache', model: path, tokens: JSON.stringify(rows) } });
      const bytes = [...tensors.values()].reduce((total, tensor) => total + tensor.data.byteLength, 0);
      process.stderr.write(`wrote ${tensors.size} tensors (${(bytes / 2 ** 20).toFixed(1)} MiB) for ${rows.length}×${rows[0].length} tokens to ${out}\n`);
    } finally {
      model.dispose();
    }
  },
};

function compilePattern(source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (error) {
    throw new UsageError(`cache: --names is not a valid regular expression: ${(error as Error).message}`);
  }
}

function encodePrompt(model: HookedTransformer, prompt: string, prependBos: boolean): number[] {
  if (!model.tokenizer) throw new CliError('this model has no tokenizer to encode --prompt; pass --tokenizer PATH or give token ids with --tokens-file');
  const ids = model.toTokens(prompt, { prependBos });
  if (ids.length === 0) throw new CliError('--prompt encodes to no tokens (empty prompt with --no-bos)');
  warnUnknownWords(model, ids, prompt, '--prompt');
  return ids;
}

function selectNames(model: HookedTransformer, pattern: RegExp | undefined): string[] {
  const all = model.hookNames();
  if (!pattern) return all;
  const names = all.filter((name) => pattern.test(name));
  if (names.length === 0) {
    throw new CliError(`--names /${pattern.source}/ matches none of the model's ${all.length} hook names (e.g. ${all[0]}, ${all[Math.min(2, all.length - 1)]}; see hooklens info)`);
  }
  return names;
}

/** Logits first, then the activations in forward order, as host float32 arrays. */
export function runAndCollect(model: HookedTransformer, rows: number[][], names: string[], tokensFile: string | undefined): Map<string, HostTensor> {
  let result: ReturnType<HookedTransformer['runWithCache']>;
  try {
    const wanted = new Set(names);
    result = model.runWithCache(rows, { names: (name: string) => wanted.has(name) });
  } catch (error) {
    // Out-of-vocabulary ids and too-long rows are found by the model; say which file they came from.
    if (tokensFile !== undefined && (error as Error).name === 'TokensError') throw new CliError(`${tokensFile}: ${(error as Error).message}`);
    throw error;
  }
  const { logits, cache } = result;
  try {
    const tensors = new Map<string, HostTensor>([['logits', { shape: logits.shape.slice(), data: logits.dataSync() as Float32Array }]]);
    for (const [name, tensor] of Object.entries(cache.toArrays())) tensors.set(name, tensor);
    return tensors;
  } finally {
    logits.dispose();
    cache.dispose();
  }
}
