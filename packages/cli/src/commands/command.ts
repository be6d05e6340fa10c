import type { BackendName, EngineName } from '@hooklens/core';
import type { OptionSpec, OptionValues } from '../args.ts';

/** Options every command accepts; main.ts handles them before the command runs. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'backend', type: 'string', value: 'NAME', description: 'force the tfjs backend: tensorflow, wasm or cpu (default: fastest available; also $HOOKLENS_BACKEND)' },
  { name: 'engine', type: 'string', value: 'NAME', description: 'the engine that runs the model: onnx (ONNX Runtime, native; the default where it loads) or tfjs (training always uses tfjs); also $HOOKLENS_ENGINE' },
  { name: 'verbose', type: 'boolean', description: 'print stack traces on errors' },
  { name: 'help', type: 'boolean', description: 'show help for the command' },
];

export interface GlobalOptions {
  backend?: BackendName;
  engine?: EngineName;
  verbose: boolean;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Synopsis after `hooklens`, e.g. "info --model PATH [--json]". */
  usage: string;
  /** Paragraphs shown by `hooklens NAME --help` after the synopsis. */
  details: string[];
  options: OptionSpec[];
  examples: string[];
  run(values: OptionValues, globals: GlobalOptions): Promise<void>;
}
