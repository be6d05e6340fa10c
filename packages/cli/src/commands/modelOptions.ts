import type { OptionSpec } from '../args.ts';

/** --model and --tokenizer, shared by every command that loads a model. */
export const MODEL_OPTIONS: OptionSpec[] = [
  {
    name: 'model',
    type: 'string',
    value: 'PATH',
    required: true,
    description: 'checkpoint: a Hugging Face directory (config.json + *.safetensors), a .safetensors file, or a llama2.c .bin',
  },
  {
    name: 'tokenizer',
    type: 'string',
    value: 'PATH',
    description: 'tokenizer file or directory (default: the one found beside the checkpoint)',
  },
];
