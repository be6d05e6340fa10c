import type { ModelConfig } from '../config.ts';
import { nearestStrings } from '../nearest.ts';

/** Hook points inside each block, in forward order, with TransformerLens' names (every architecture's). */
const ALL_BLOCK_HOOK_SUFFIXES = [
  'hook_resid_pre',
  'ln1.hook_scale', 'ln1.hook_normalized',
  'attn.hook_q', 'attn.hook_k', 'attn.hook_v',
  'attn.q_norm.hook_scale', 'attn.q_norm.hook_normalized', 'attn.k_norm.hook_scale', 'attn.k_norm.hook_normalized',
  'attn.hook_rot_q', 'attn.hook_rot_k',
  'attn.hook_attn_scores', 'attn.hook_pattern', 'attn.hook_z', 'attn.hook_result',
  'ln1_post.hook_scale', 'ln1_post.hook_normalized',
  'hook_attn_out', 'hook_resid_mid',
  'ln2.hook_scale', 'ln2.hook_normalized',
  'mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post',
  'ln2_post.hook_scale', 'ln2_post.hook_normalized',
  'hook_mlp_out', 'hook_resid_post',
] as const;

export type BlockHookSuffix = (typeof ALL_BLOCK_HOOK_SUFFIXES)[number];

/** Every hook point name; a misspelt literal is a compile error. */
export type HookName =
  | 'hook_embed'
  | 'hook_pos_embed'
  | `blocks.${number}.${BlockHookSuffix}`
  | 'ln_final.hook_scale'
  | 'ln_final.hook_normalized';

/** A predicate over hook names: selects every hook point it returns true for. */
export type HookFilter = (name: HookName) => boolean;

/** Which hook activations to select: a list of names, a pattern, or a predicate. */
export type HookSelector = readonly HookName[] | RegExp | HookFilter;

const TOP_LEVEL_HOOKS: readonly HookName[] = ['hook_embed', 'hook_pos_embed', 'ln_final.hook_scale', 'ln_final.hook_normalized'];

/**
 * A hook name built at run time (`hookName(`blocks.${layer}.${suffix}`)`, a name read from a
 * file or a request), checked to be of HookName's form; a literal never needs this. Whether
 * the model has that hook (its layer exists, it is rotary, …) is checked when it is used.
 */
export function hookName(name: string): HookName {
  const block = /^blocks\.(\d+)\.(.+)$/.exec(name);
  const suffixes: readonly string[] = ALL_BLOCK_HOOK_SUFFIXES;
  const topLevel: readonly string[] = TOP_LEVEL_HOOKS;
  if (block ? suffixes.includes(block[2]) : topLevel.includes(name)) return name as HookName;
  const layer = block?.[1] ?? '0';
  throw unknownHookError([...TOP_LEVEL_HOOKS, ...ALL_BLOCK_HOOK_SUFFIXES.map((suffix) => `blocks.${layer}.${suffix}`)], name);
}

/** The block hook suffixes a given architecture has, in forward order. */
export function blockHookSuffixes(config: ModelConfig): BlockHookSuffix[] {
  const mlpSide = new Set<BlockHookSuffix>(['hook_resid_mid', 'ln2.hook_scale', 'ln2.hook_normalized', 'mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post', 'ln2_post.hook_scale', 'ln2_post.hook_normalized', 'hook_mlp_out']);
  const present = ALL_BLOCK_HOOK_SUFFIXES.filter((suffix) => {
    if (suffix.startsWith('ln1_post.') || suffix.startsWith('ln2_post.')) return (config.sandwichNorms ?? false) && !(config.attnOnly && mlpSide.has(suffix));
    if (suffix === 'attn.hook_rot_q' || suffix === 'attn.hook_rot_k') return config.positional === 'rotary';
    if (config.attnOnly && mlpSide.has(suffix)) return false;
    if (suffix === 'hook_resid_mid') return !config.parallelResidual;
    if (suffix === 'mlp.hook_pre_linear') return config.gatedMlp;
    if (suffix.startsWith('attn.q_norm.') || suffix.startsWith('attn.k_norm.')) return config.qkNorm !== undefined;
    return true;
  });
  return config.normPlacement === 'post' ? normsAfterSublayers(present) : present;
}

/** Forward order when ln1 / ln2 act on the sublayer outputs: each norm's hooks just before hook_attn_out / hook_mlp_out. */
function normsAfterSublayers(suffixes: BlockHookSuffix[]): BlockHookSuffix[] {
  const norm = (ln: 'ln1' | 'ln2') => suffixes.filter((suffix) => suffix.startsWith(`${ln}.`));
  return suffixes.flatMap((suffix): BlockHookSuffix[] => {
    if (suffix.startsWith('ln1.') || suffix.startsWith('ln2.')) return [];
    if (suffix === 'hook_attn_out') return [...norm('ln1'), suffix];
    if (suffix === 'hook_mlp_out') return [...norm('ln2'), suffix];
    return [suffix];
  });
}

/** All hook point names of a model, in forward order. */
export function hookNamesFor(config: ModelConfig): HookName[] {
  const names: HookName[] = ['hook_embed'];
  if (config.positional === 'learned') names.push('hook_pos_embed');
  const suffixes = blockHookSuffixes(config);
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (const suffix of suffixes) names.push(`blocks.${layer}.${suffix}`);
  }
  names.push('ln_final.hook_scale', 'ln_final.hook_normalized');
  return names;
}

/** The shape of a hook's activation for a batch of `batch` rows of `positions` tokens. */
export function hookShape(config: ModelConfig, name: string, batch: number, positions: number): number[] {
  const suffix = name.replace(/^blocks\.\d+\./, '');
  const { dModel, nHeads, nKvHeads, dHead, dMlp } = config;
  switch (suffix) {
    case 'ln1.hook_scale': case 'ln2.hook_scale': case 'ln_final.hook_scale': case 'ln1_post.hook_scale': case 'ln2_post.hook_scale':
      return [batch, positions, 1];
    case 'attn.hook_q': case 'attn.hook_rot_q': case 'attn.hook_z':
      return [batch, positions, nHeads, dHead];
    case 'attn.hook_k': case 'attn.hook_v': case 'attn.hook_rot_k':
      return [batch, positions, nKvHeads, dHead];
    // q/k norms over d_head keep the head axis; over the whole projection they see [batch, pos, width].
    case 'attn.q_norm.hook_scale': case 'attn.k_norm.hook_scale':
      return config.qkNorm === 'head' ? [batch, positions, suffix.startsWith('attn.q') ? nHeads : nKvHeads, 1] : [batch, positions, 1];
    case 'attn.q_norm.hook_normalized':
      return config.qkNorm === 'head' ? [batch, positions, nHeads, dHead] : [batch, positions, nHeads * dHead];
    case 'attn.k_norm.hook_normalized':
      return config.qkNorm === 'head' ? [batch, positions, nKvHeads, dHead] : [batch, positions, nKvHeads * dHead];
    case 'attn.hook_attn_scores': case 'attn.hook_pattern':
      return [batch, nHeads, positions, positions];
    case 'attn.hook_result':
      return [batch, positions, nHeads, dModel];
    case 'mlp.hook_pre': case 'mlp.hook_pre_linear': case 'mlp.hook_post':
      return [batch, positions, dMlp];
    default:
      return [batch, positions, dModel];
  }
}

/**
 * Bytes a float32 cache of the selected hooks will take, to check before running: the
 * activations only, not the logits runWithCache also returns (see
 * HookedTransformer.estimateCacheBytes for both).
 */
export function estimateCacheBytes(config: ModelConfig, tokensShape: readonly [number, number], names: HookSelector): number {
  const [batch, positions] = tokensShape;
  return selectHookNames(hookNamesFor(config), names)
    .reduce((total, name) => total + 4 * hookShape(config, name, batch, positions).reduce((a, b) => a * b, 1), 0);
}

export class UnknownHookError extends Error {
  override name = 'UnknownHookError';
}

/**
 * Resolves a selector against the model's names, in the model's order; unknown listed names
 * are an error suggesting the nearest.
 */
export function selectHookNames(all: readonly HookName[], selector: HookSelector): HookName[] {
  if (selector instanceof RegExp) {
    // test() on a global or sticky pattern starts at lastIndex, which a match moves on, so
    // names after a match would be tested from the middle and missed: each name is tested
    // from its start, on a copy, leaving the caller's pattern as it was.
    const pattern = new RegExp(selector.source, selector.flags);
    return all.filter((name) => {
      pattern.lastIndex = 0;
      return pattern.test(name);
    });
  }
  if (typeof selector === 'function') return all.filter((name) => selector(name));
  const known = new Set<string>(all);
  for (const name of selector) assertHookName(all, known, name);
  return all.filter((name) => selector.includes(name));
}

export function assertHookName(all: readonly string[], known: { has(name: string): boolean }, name: string): void {
  if (!known.has(name)) throw unknownHookError(all, name);
}

function unknownHookError(all: readonly string[], name: string): UnknownHookError {
  const nearest = nearestNames(all, name, 3);
  return new UnknownHookError(`unknown hook name "${name}"; did you mean ${nearest.map((n) => `"${n}"`).join(', ')}?`);
}

export function nearestNames(all: readonly string[], name: string, count: number): string[] {
  return nearestStrings(all, name, count);
}
