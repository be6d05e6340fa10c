import type { OptionSpec } from './args.ts';
import type { Command } from './commands/command.ts';
import { GLOBAL_OPTIONS } from './commands/command.ts';

function optionLines(options: readonly OptionSpec[]): string[] {
  const labels = options.map((option) => `--${option.name}${option.value ? ` ${option.value}` : ''}`);
  const width = Math.max(...labels.map((label) => label.length));
  return options.map((option, index) => `  ${labels[index].padEnd(width)}  ${option.description}${option.required ? ' (required)' : ''}`);
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'hooklens: mechanistic interpretability for transformers in TypeScript (TransformerLens for tfjs)',
    '',
    'Usage: hooklens COMMAND [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options for every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'The backend in use is printed on stderr ("backend: wasm (SIMD, 1 thread)"); results go to stdout.',
    'Errors are one line on stderr; exit code 1 for failures, 2 for command-line mistakes.',
    'Run `hooklens COMMAND --help` for a command\'s options.',
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: hooklens ${command.usage}`,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    ...command.details.flatMap((paragraph) => ['', paragraph]),
    '',
    'Options:',
    ...optionLines(command.options),
    ...optionLines(GLOBAL_OPTIONS),
    ...(command.examples.length ? ['', 'Examples:', ...command.examples.map((example) => `  ${example}`)] : []),
    '',
  ].join('\n');
}
