import type { OptionSpec } from './args.ts';
import type { Command } from './commands/command.ts';
import { GLOBAL_OPTIONS } from './commands/command.ts';

/** Help text fits a terminal: lines of at most this many columns. */
const COLUMNS = 100;

/** Greedy word wrap; continuation lines get `indent` spaces. */
function wrap(text: string, indent = 0, first = 0): string[] {
  const lines: string[] = [];
  let line = '';
  let width = COLUMNS - first;
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
      width = COLUMNS - indent;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.map((text, index) => (index === 0 ? text : `${' '.repeat(indent)}${text}`));
}

/** `--name VALUE  description`, aligned; a positional option is listed by its VALUE, as the usage line writes it. */
function optionLines(options: readonly OptionSpec[]): string[] {
  const labels = options.map((option) => (option.positional ? option.value! : `--${option.name}${option.value ? ` ${option.value}` : ''}`));
  const width = Math.max(...labels.map((label) => label.length));
  return options.map((option, index) => {
    const notes = [...(option.required ? ['required'] : []), ...(option.positional ? [`or --${option.name} ${option.value}`] : [])];
    const description = `${option.description}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    return `  ${labels[index].padEnd(width)}  ${wrap(description, width + 4, width + 4).join('\n')}`;
  });
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'hooklens: mechanistic interpretability for transformers in TypeScript, with TransformerLens\' hook points',
    '(where a definition differs from TransformerLens\': README, "Differences from TransformerLens")',
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
  const positional = command.options.filter((option) => option.positional);
  return [
    `Usage: hooklens ${command.usage}`,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    ...command.details.flatMap((paragraph) => ['', ...wrap(paragraph)]),
    ...(positional.length ? ['', 'Arguments:', ...optionLines(positional)] : []),
    '',
    'Options:',
    ...optionLines([...command.options.filter((option) => !option.positional), ...GLOBAL_OPTIONS]),
    ...(command.examples.length ? ['', 'Examples:', ...command.examples.map((example) => `  ${example}`)] : []),
    '',
  ].join('\n');
}
