import type { BackendName, EngineName } from '@hooklens/core';
import { parseOptions } from './args.ts';
import type { OptionSpec } from './args.ts';
import { GLOBAL_OPTIONS } from './commands/command.ts';
import type { GlobalOptions } from './commands/command.ts';
import { COMMANDS } from './commands/index.ts';
import { UsageError } from './errors.ts';
import { oneLine } from './format.ts';
import { commandHelp, mainHelp } from './help.ts';

/** The environment variable that picks the engine (kept here so --help loads no engine code). */
const ENGINE_ENV = 'HOOKLENS_ENGINE';

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const commandIndex = findCommand(argv);
    const rest = commandIndex === -1 ? [...argv] : [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)];
    const name = commandIndex === -1 ? undefined : argv[commandIndex];
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (rest.includes('--version') && !command) {
      process.stdout.write('hooklens 0.1.0\n');
      return 0;
    }
    if (name === undefined || name === 'help') {
      const topic = COMMANDS.find((candidate) => candidate.name === argv[commandIndex + 1]);
      process.stdout.write(topic ? commandHelp(topic) : mainHelp(COMMANDS));
      const asked = name === 'help' || asksForHelp(rest, GLOBAL_OPTIONS);
      if (!asked) process.stderr.write('hooklens: missing command\n');
      return asked ? 0 : 2;
    }
    if (!command) throw new UsageError(`unknown command '${name}'; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see hooklens --help)`);
    const specs = [...command.options, ...GLOBAL_OPTIONS];
    if (asksForHelp(rest, specs)) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    const values = parseOptions(rest, specs, command.name);
    const globals = await globalOptions(values);
    await command.run(values, globals);
    return 0;
  } catch (error) {
    return reportError(error, verbose);
  }
}

/** Index of the first argument that is neither an option nor a global option's value. */
function findCommand(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) return i;
    const spec = GLOBAL_OPTIONS.find((option) => `--${option.name}` === arg);
    if (spec?.type === 'string') i++;
  }
  return -1;
}

/** --help or -h as an option, not as the value of a string option (--prompt -h). */
function asksForHelp(args: readonly string[], specs: readonly OptionSpec[]): boolean {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--help' || args[i] === '-h') return true;
    const spec = specs.find((option) => `--${option.name}` === args[i]);
    if (spec?.type === 'string') i++;
  }
  return false;
}

async function globalOptions(values: Record<string, unknown>): Promise<GlobalOptions> {
  const backend = values.backend as string | undefined;
  const engine = values.engine as string | undefined;
  if (engine !== undefined) process.env[ENGINE_ENV] = engine;
  // @hooklens/core loads tfjs: only when a flag or the engine variable is there to check (the command needs it then anyway).
  if (backend === undefined && !process.env[ENGINE_ENV]) return { backend: undefined, engine: undefined, verbose: values.verbose === true };
  const { BACKEND_NAMES, ENGINE_NAMES, chooseEngine } = await import('@hooklens/core');
  if (backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new UsageError(`unknown backend '${backend}' for --backend; valid backends: ${BACKEND_NAMES.join(', ')}`);
  }
  if (engine !== undefined && !(ENGINE_NAMES as readonly string[]).includes(engine)) {
    throw new UsageError(`unknown engine '${engine}' for --engine; valid engines: ${ENGINE_NAMES.join(', ')}`);
  }
  // Every model a command loads (one, several served, an experiment's) runs on that engine; one asked
  // for that cannot run (unknown, or onnx where it does not load) gives its reason before any work.
  if (process.env[ENGINE_ENV]) chooseEngine();
  return { backend: backend as BackendName | undefined, engine: engine as EngineName | undefined, verbose: values.verbose === true };
}

/** One line on stderr: `hooklens: <message>`; the stack only with --verbose. */
function reportError(error: unknown, verbose: boolean): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`hooklens: ${oneLine(message)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return error instanceof UsageError ? 2 : 1;
}
