import type { OptionSpec } from '../args.ts';

/**
 * The placeholder for a --model value, and what it may be: every command resolves it with the hub's
 * resolveModel (an existing path first, then a shipped model, then the Hugging Face cache, offline).
 */
export const MODEL_VALUE = 'PATH|NAME';
export const MODEL_VALUE_HELP =
  'a path (a Hugging Face directory with config.json + *.safetensors, a .safetensors file, or a llama2.c .bin), ' +
  'a shipped model (toy-ioi, toy-induction), or a hub name already pulled (gpt2, stories15M, ORG/NAME; see hooklens models)';

/** --model and --tokenizer, shared by every command that loads a model. */
export const MODEL_OPTIONS: OptionSpec[] = [
  {
    name: 'model',
    type: 'string',
    value: MODEL_VALUE,
    required: true,
    description: `checkpoint: ${MODEL_VALUE_HELP}`,
  },
  {
    name: 'tokenizer',
    type: 'string',
    value: 'PATH',
    description: 'tokenizer file or directory (default: the one found beside the checkpoint, or pulled with a llama2.c hub name)',
  },
];
