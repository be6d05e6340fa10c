import { UsageError } from './errors.ts';

export interface OptionSpec {
  name: string;
  /** Boolean options are flags; string options take the next argument (or `--name=value`). */
  type: 'string' | 'boolean';
  /** Placeholder shown in help, e.g. PATH. */
  value?: string;
  description: string;
  required?: boolean;
  /** May also be given as a bare argument (`hooklens pull gpt2` = `hooklens pull --model gpt2`). */
  positional?: boolean;
  /** May be given several times; the values are collected in order into a string[]. */
  repeatable?: boolean;
}

export type OptionValues = Record<string, string | string[] | boolean | undefined>;

/**
 * Parses `--name value`, `--name=value` and `--flag` against `specs`. Hand-written rather than
 * util.parseArgs so that every mistake gets a short message naming the command and the option,
 * and so a string option's value may itself start with '-' (e.g. --prompt "-1 is").
 */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[], command: string): OptionValues {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values: OptionValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      const positional = specs.find((spec) => spec.positional && values[spec.name] === undefined);
      if (!positional || arg === '--') throw new UsageError(`${command}: unexpected argument '${arg}' (options start with --; see hooklens ${command} --help)`);
      values[positional.name] = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`${command}: unknown option --${name}${suggestion(name, specs)} (see hooklens ${command} --help)`);
    if (values[name] !== undefined && !spec.repeatable) throw new UsageError(`${command}: option --${name} given twice`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`${command}: option --${name} is a flag and takes no value`);
      values[name] = true;
    } else {
      if (eq === -1 && i + 1 >= argv.length) throw new UsageError(`${command}: option --${name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      const previous = values[name];
      values[name] = spec.repeatable ? [...(Array.isArray(previous) ? previous : []), value] : value;
    }
  }
  for (const spec of specs) {
    if (spec.required && values[spec.name] === undefined) {
      if (spec.positional) throw new UsageError(`${command}: missing ${spec.value} (see hooklens ${command} --help)`);
      throw new UsageError(`${command}: missing required option --${spec.name}${spec.value ? ` ${spec.value}` : ''} (see hooklens ${command} --help)`);
    }
  }
  return values;
}

/** A likely intended option: a prefix either way, or the same letters (transposed, `_` for `-`). */
function suggestion(name: string, specs: readonly OptionSpec[]): string {
  const letters = (text: string) => [...text.replace(/[-_]/g, '')].sort().join('');
  const close = specs.find((spec) => spec.name.startsWith(name) || name.startsWith(spec.name) || letters(spec.name) === letters(name));
  return close ? `; did you mean --${close.name}?` : '';
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A number option, checked against [min, max] and integrality; undefined when absent. */
export function numberOption(
  values: OptionValues,
  name: string,
  command: string,
  { integer = false, min = -Infinity, max = Infinity, minExclusive = false }: { integer?: boolean; min?: number; max?: number; minExclusive?: boolean } = {},
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  const kind = integer ? 'an integer' : 'a number';
  const range = `${minExclusive ? '>' : '>='} ${min}${Number.isFinite(max) ? ` and <= ${max}` : ''}`;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${command}: --${name} must be ${kind}, got '${raw}'`);
  }
  if (value < min || (minExclusive && value === min) || value > max) {
    throw new UsageError(`${command}: --${name} must be ${range}, got ${raw}`);
  }
  return value;
}
