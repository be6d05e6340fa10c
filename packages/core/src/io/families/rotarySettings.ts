/**
 * Rotary settings of a Hugging Face config.json: the base and how much of each head rotates.
 * Older configs keep them at the top level under family-specific keys (GPT-NeoX `rotary_pct`,
 * `rotary_emb_base`; Phi-3 `partial_rotary_factor`, `rope_theta`); transformers v5 writes them
 * into `rope_parameters`, which takes precedence there as it does here.
 */
import { LoadError } from '../errors.ts';
import { isObject, type ConfigFields } from '../checkpoint.ts';

export interface RotaryKeys {
  /** Top-level keys that may hold the base, first found wins. */
  base: readonly string[];
  /** Top-level keys that may hold the fraction of d_head that rotates. */
  fraction: readonly string[];
  defaultBase: number;
  defaultFraction: number;
}

/** Plain rotary only: any scaling (Phi-3's longrope, Llama 3's, YaRN, …) is refused by key. */
export function rotarySettings(fields: ConfigFields, dHead: number, keys: RotaryKeys): { rotaryBase: number; rotaryDim: number } {
  if (fields.has('rope_scaling')) {
    throw new LoadError(`${fields.path}: rope_scaling ${JSON.stringify(fields.raw.rope_scaling)} is not supported (plain rotary only; use a checkpoint without rope scaling)`);
  }
  const nested = fields.raw.rope_parameters;
  if (nested !== undefined && nested !== null && !isObject(nested)) throw fields.bad('rope_parameters', 'an object');
  const parameters = (nested ?? {}) as Record<string, unknown>;
  const ropeType = parameters.rope_type ?? parameters.type;
  if (ropeType !== undefined && ropeType !== 'default') {
    throw new LoadError(`${fields.path}: rope_parameters.rope_type ${JSON.stringify(ropeType)} is not supported (plain rotary only, rope_type "default")`);
  }
  const pick = (nestedKey: string, topLevel: readonly string[], fallback: number): { key: string; value: number } => {
    if (parameters[nestedKey] !== undefined) {
      const value = parameters[nestedKey];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new LoadError(`${fields.path}: config field "rope_parameters.${nestedKey}" must be a number, got ${JSON.stringify(value)}`);
      }
      return { key: `rope_parameters.${nestedKey}`, value };
    }
    const key = topLevel.find((name) => fields.has(name));
    return key === undefined ? { key: topLevel[0], value: fallback } : { key, value: fields.number(key, fallback) };
  };
  const base = pick('rope_theta', keys.base, keys.defaultBase);
  if (!(base.value > 0)) throw new LoadError(`${fields.path}: config field "${base.key}" must be positive, got ${base.value}`);
  const fraction = pick('partial_rotary_factor', keys.fraction, keys.defaultFraction);
  const exact = dHead * fraction.value;
  const rotaryDim = Math.round(exact);
  // Hugging Face truncates int(d_head * fraction); a fraction that does not land on an even integer is a broken config.
  if (!(fraction.value > 0 && fraction.value <= 1) || Math.abs(exact - rotaryDim) > 1e-9 || rotaryDim % 2 !== 0) {
    throw new LoadError(
      `${fields.path}: config field "${fraction.key}" = ${fraction.value} gives a rotary dimension of ${exact} for head size ${dHead}; ` +
        'it must be an even whole number between 2 and the head size',
    );
  }
  return { rotaryBase: base.value, rotaryDim };
}
