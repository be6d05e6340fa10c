import type { Command } from './command.ts';
import { MODEL_OPTIONS } from './modelOptions.ts';
import { numberOption, stringOption } from '../args.ts';
import { CliError } from '../errors.ts';
import { openModel } from '../openModel.ts';
import { warnUnknownWords } from '../unknownWords.ts';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'continue a prompt by sampling from the model; prints only the continuation',
  usage: 'generate --model PATH --prompt TEXT --max-new-tokens N [--temperature T] [--seed S] [--top-k K] [--top-p P]',
  details: [
    'Prints ONLY the generated continuation (not the prompt) to stdout, followed by a newline, so it can be piped. ' +
      "Generation stops after N new tokens, or earlier at the model's stop token (end-of-sequence; BOS for llama2.c, as its run.c), " +
      "or when the sequence reaches the model's context n_ctx (then a one-line note on stderr says so). " +
      'A prompt longer than n_ctx is an error.',
    '--temperature 0 (the default) is greedy decoding, deterministic; with T > 0 the same --seed gives the same text. --prompt "" starts from BOS alone.',
  ],
  options: [
    ...MODEL_OPTIONS,
    { name: 'prompt', type: 'string', value: 'TEXT', required: true, description: 'text to continue ("" = start from BOS)' },
    { name: 'max-new-tokens', type: 'string', value: 'N', required: true, description: 'number of tokens to generate' },
    { name: 'temperature', type: 'string', value: 'T', description: 'sampling temperature; 0 = greedy (default 0)' },
    { name: 'seed', type: 'string', value: 'S', description: 'random seed, for reproducible sampling' },
    { name: 'top-k', type: 'string', value: 'K', description: 'sample only among the K most likely tokens' },
    { name: 'top-p', type: 'string', value: 'P', description: 'nucleus sampling: the smallest set of tokens with probability mass >= P, 0 < P <= 1' },
    { name: 'no-bos', type: 'boolean', description: "do not prepend BOS to the prompt (default: the model family's default)" },
  ],
  examples: [
    'hooklens generate --model toy-ioi --prompt "When Mary and John went to the store , John gave a drink to" --max-new-tokens 1 --temperature 0',
    'hooklens generate --model toy-ioi --prompt "When Mary and John went to the store ," --max-new-tokens 10 --temperature 0.8 --seed 1',
  ],
  async run(values, globals) {
    const command = 'generate';
    const prompt = stringOption(values, 'prompt')!;
    const maxNewTokens = numberOption(values, 'max-new-tokens', command, { integer: true, min: 0 })!;
    const temperature = numberOption(values, 'temperature', command, { min: 0 });
    const seed = numberOption(values, 'seed', command, { integer: true });
    const topK = numberOption(values, 'top-k', command, { integer: true, min: 1 });
    const topP = numberOption(values, 'top-p', command, { min: 0, minExclusive: true, max: 1 });

    const { model } = await openModel(values, globals);
    try {
      if (!model.tokenizer) throw new CliError('this model has no tokenizer, so it cannot read --prompt or print text; pass --tokenizer PATH');
      const result = await model.generate(prompt, {
        maxNewTokens,
        ...(values['no-bos'] === true && { prependBos: false }),
        ...(temperature !== undefined && { temperature }),
        ...(seed !== undefined && { seed }),
        ...(topK !== undefined && { topK }),
        ...(topP !== undefined && { topP }),
      });
      warnUnknownWords(model, result.tokens.slice(0, result.tokens.length - result.newTokens.length), prompt, '--prompt');
      process.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
      if (result.stopReason === 'context-limit') {
        process.stderr.write(`note: stopped after ${result.newTokens.length} of ${maxNewTokens} new tokens: the sequence reached the model's context n_ctx = ${model.config.nCtx}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};
