/** Config checks shared by the families stored in Llama's layout (Qwen3, OLMo 2). */
import { isObject, type ConfigFields } from '../checkpoint.ts';
import { LoadError } from '../errors.ts';

/** Grouped-query attention needs the query heads to split evenly over the key/value heads. */
export function checkKeyValueHeads(fields: ConfigFields): void {
  const heads = fields.int('num_attention_heads');
  const kvHeads = fields.optionalInt('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) {
    throw new LoadError(`${fields.path}: num_attention_heads (${heads}) is not a multiple of num_key_value_heads (${kvHeads})`);
  }
}

/**
 * The context length to load with when some layers attend within a sliding window: HF lets a
 * query see the keys less than `window` positions back, so up to that many positions a sliding
 * layer equals a full one. Capping the context there keeps every layer exact without a
 * per-layer mask; longer inputs are refused by the context check like any over-long input.
 */
export function contextWithinSlidingWindow(fields: ConfigFields, slidingLayers: readonly number[], window: number | undefined): number {
  const nCtx = fields.int('max_position_embeddings');
  return slidingLayers.length > 0 && window !== undefined ? Math.min(nCtx, window) : nCtx;
}

/**
 * The rotary base: `rope_theta`, or newer transformers' `rope_parameters` object (which replaces
 * rope_theta and rope_scaling); only plain rotary ("default") is supported, else the key is named.
 */
export function rotaryBase(fields: ConfigFields, fallback: number): number {
  if (!fields.has('rope_parameters')) return fields.number('rope_theta', fallback);
  const parameters = fields.raw.rope_parameters;
  if (!isObject(parameters)) throw fields.bad('rope_parameters', 'an object');
  const type = parameters.rope_type ?? parameters.type ?? 'default';
  if (type !== 'default') throw new LoadError(`${fields.path}: config field "rope_parameters" has rope_type ${JSON.stringify(type)}; only "default" (plain rotary) is supported`);
  const theta = parameters.rope_theta ?? fields.raw.rope_theta ?? fallback;
  if (typeof theta !== 'number' || !(theta > 0)) throw new LoadError(`${fields.path}: config field "rope_parameters.rope_theta" must be a positive number, got ${JSON.stringify(theta)}`);
  return theta;
}
