import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXPERIMENT_KINDS } from '@hooklens/hooks/experiment-kinds';
import type { Command } from './command.ts';
import { stringOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { startBackend } from '../openModel.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { checkWritable } from '../outputPath.ts';
import { progressBar } from '../progressBar.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'replay an experiment file (lens, ablation, sweep, patching, head scores) and write its result',
  usage: 'run EXPERIMENT.json [--out RESULT.json] [--model PATH]',
  details: [
    `An experiment file is one JSON object: { "hooklens": 1, "kind": ${EXPERIMENT_KINDS.map((kind) => `"${kind}"`).join(' | ')}, ` +
      '"model": { "id", "tokenizer"? }, "tokenization": { "prependBos", "paddingSide" }, "prompts": {…}, …kind-specific settings, "metric"? }. ' +
      'The lens, ablate, heads and patch commands write one with --save-experiment FILE.',
    'model.id is a path, a shipped model or a hub name, as given to --model; a relative path is tried from the working directory, then from the experiment file\'s folder. ' +
      '--model replaces it: the same experiment on another checkpoint, or a dashboard export whose model.id is the name a server gave a path.',
    'Writes { "experiment": the validated experiment (defaults filled in), "result": the tool\'s plain data } to --out (atomically: no half-written file on error) or stdout.',
  ],
  options: [
    { name: 'experiment', type: 'string', value: 'EXPERIMENT.json', positional: true, required: true, description: 'the experiment JSON file' },
    { name: 'out', type: 'string', value: 'FILE', description: 'write the result JSON here instead of stdout' },
    ...MODEL_OPTIONS.map((option) => ({ ...option, required: false, description: `${option.description}; replaces the experiment's model` })),
  ],
  examples: [
    'hooklens lens --model toy-ioi --prompt "When Mary and John went to the store , John gave a drink to" --save-experiment lens.json',
    'hooklens run lens.json --out lens-result.json',
  ],
  async run(values, globals) {
    const file = stringOption(values, 'experiment')!;
    const out = stringOption(values, 'out');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(`${file}: cannot read experiment file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code ?? String(error)})`);
    }
    const { parseExperimentText } = await import('@hooklens/hooks/experiment-schema');
    const parsed = parseExperimentText(text, file);
    const modelOverride = stringOption(values, 'model');
    const tokenizerOverride = stringOption(values, 'tokenizer');
    if (tokenizerOverride !== undefined && modelOverride === undefined) throw new CliError('--tokenizer replaces the tokenizer of --model; give --model too');
    // The result records the model that actually ran.
    const experiment = modelOverride === undefined ? parsed : { ...parsed, model: { id: modelOverride, ...(tokenizerOverride !== undefined && { tokenizer: tokenizerOverride }) } };
    if (out !== undefined) checkWritable(out);

    const [{ loadExperimentModel, runExperiment }, { writeJsonAtomic }, { reportUnknownWords }] = await Promise.all([
      import('@hooklens/hooks'), import('@hooklens/core'), import('../unknownWords.ts'),
    ]);
    await startBackend(globals);
    // An override is a name or path as typed on this command line, so not relative to the file's folder.
    const model = await loadExperimentModel(experiment.model, modelOverride === undefined ? { baseDir: dirname(file) } : {});
    try {
      const progress = progressBar(`running ${experiment.kind}`);
      const run = await runExperiment(model, experiment, {
        onProgress: progress.update,
        onUnknownTokens: (field, unknown) => reportUnknownWords(model, field, unknown),
      }).finally(progress.end);
      if (out === undefined) process.stdout.write(`${JSON.stringify(run)}\n`);
      else writeJsonAtomic(out, run);
    } finally {
      model.dispose();
    }
  },
};
