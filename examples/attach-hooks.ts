/**
 * Reading and editing activations through hook points, TransformerLens style.
 *
 *   pnpm exec tsx examples/attach-hooks.ts [--model PATH|NAME] [--prompt TEXT] [--layer L] [--head H]
 *
 * 1. runWithCache: read activations (and their TransformerLens shapes).
 * 2. runWithHooks: zero each attention head's output (hook_z) of one layer, one run at a time,
 *    and see how the next-token prediction changes.
 * 3. withHooks: attach hooks for the duration of a block of code (here: peek at the attention
 *    pattern of the head that step 2 found mattered most, unless --head names one).
 * 4. addHook / resetHooks: a long-lived hook that stays until removed.
 *
 * Defaults to toy-ioi (shipped in packages/core/models), which completes "When Mary and John
 * went to the store, John gave a drink to" with "Mary": in its layer 0 one head looks from the
 * last word back at the repeated name, and zeroing it halves the answer's probability. Any
 * checkpoint works with --model (--layer defaults to 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HookedTransformer } from '@hooklens/core';
import { openExample } from './openExample.ts';

const { model, values } = await openExample({
  defaultModel: 'toy-ioi',
  options: { prompt: { type: 'string' }, layer: { type: 'string' }, head: { type: 'string' } },
});
const tensorsAtStart = tf.memory().numTensors; // the model's own (weights, rotary tables)
const { nLayers, nHeads } = model.config;
// Layer 0 by default: in toy-ioi that is where the end position reads which name was repeated.
const layer = Number(values.layer ?? 0);
const chosenHead = values.head === undefined ? undefined : Number(values.head);
const inRange = (n: number, size: number) => Number.isInteger(n) && n >= 0 && n < size;
if (!inRange(layer, nLayers) || (chosenHead !== undefined && !inRange(chosenHead, nHeads))) {
  console.error(`--layer must be in [0, ${nLayers}) and --head in [0, ${nHeads})`);
  process.exit(1);
}
const prompt = values.prompt ?? 'When Mary and John went to the store, John gave a drink to';
const tokens = model.toTokens(prompt);
const last = tokens.length - 1;
const show = (id: number) => JSON.stringify(model.toSingleStrToken(id, tokens[last]));

/** Top next token after the last position, with its probability; frees what it allocates. */
function prediction(logits: tf.Tensor3D): { id: number; prob: number; probs: Float32Array } {
  const probs = tf.tidy(() => tf.softmax(logits.slice([0, last, 0], [1, 1, -1]).reshape([-1])).dataSync() as Float32Array);
  const id = probs.indexOf(Math.max(...probs));
  return { id, prob: probs[id], probs };
}

// --- 1. Read activations -------------------------------------------------------------------
// `names` picks which hooks to keep (a list, a RegExp or a predicate); the cache owns them.
const { logits: clean, cache } = model.runWithCache(tokens, { names: /^(hook_embed|blocks\.0\.(attn\.hook_(q|pattern|z)|hook_resid_post)|ln_final\.hook_scale)$/ });
console.log(`\n1. runWithCache on ${tokens.length} tokens: ${JSON.stringify(prompt)}`);
for (const name of cache.names()) console.log(`   ${name.padEnd(28)} [${cache.get(name).shape.join(', ')}]`);
const before = prediction(clean);
console.log(`   clean prediction: ${show(before.id)} ${(before.prob * 100).toFixed(1)}%`);
clean.dispose();
cache.dispose(); // frees every cached activation

// --- 2. Edit an activation for one run -------------------------------------------------------
// hook_z is [batch, pos, head, d_head]: the head's weighted values, before W_O. Returning a new
// tensor replaces the activation; tensors made inside a hook are freed with the forward pass.
function zeroHead(model: HookedTransformer, layer: number, head: number): tf.Tensor3D {
  const keep = tf.tensor4d(Array.from({ length: nHeads }, (_, h) => (h === head ? 0 : 1)), [1, 1, nHeads, 1]);
  try {
    return model.runWithHooks(tokens, { fwdHooks: [[`blocks.${layer}.attn.hook_z`, (z) => z.mul(keep)]] });
  } finally {
    keep.dispose(); // made outside the hook, so it is ours to free
  }
}
console.log(`\n2. runWithHooks: zero one head's hook_z in layer ${layer}; p(${show(before.id)}) was ${(before.prob * 100).toFixed(1)}%`);
let mostNeeded = { head: 0, prob: Infinity };
for (let h = 0; h < nHeads; h++) {
  const ablated = zeroHead(model, layer, h);
  const after = prediction(ablated);
  ablated.dispose();
  if (after.probs[before.id] < mostNeeded.prob) mostNeeded = { head: h, prob: after.probs[before.id] };
  const change = `p(${show(before.id)}) ${(after.probs[before.id] * 100).toFixed(1)}%`;
  console.log(`   L${layer}H${h} zeroed: ${change}, top ${show(after.id)} ${(after.prob * 100).toFixed(1)}%`);
}

// --- 3. Hooks for the duration of a block ----------------------------------------------------
// withHooks attaches the hooks, runs the body, and removes them even if the body throws.
// This hook only reads: it returns nothing, so the activation is left as it is. Without --head,
// look at the head whose removal hurt the prediction most: what it attends to is what it passes on.
const head = chosenHead ?? mostNeeded.head;
let attention: number[] = [];
const peekPattern = (pattern: tf.Tensor) => {
  // [batch, head, query, key]: where the chosen head looks from the last position.
  attention = Array.from(pattern.slice([0, head, last, 0], [1, 1, 1, -1]).dataSync());
};
model.withHooks([[`blocks.${layer}.attn.hook_pattern`, peekPattern]], () => model.forward(tokens).dispose());
const strTokens = model.toStrTokens(tokens);
const top3 = attention.map((weight, pos) => ({ weight, pos })).sort((a, b) => b.weight - a.weight).slice(0, 3);
console.log(`\n3. withHooks: L${layer}H${head} attends from ${JSON.stringify(strTokens[last])} mostly to`);
for (const { weight, pos } of top3) console.log(`   ${String(pos).padStart(3)} ${JSON.stringify(strTokens[pos]).padEnd(12)} ${(weight * 100).toFixed(1)}%`);

// --- 4. Long-lived hooks ---------------------------------------------------------------------
// addHook keeps a hook on every forward pass until removeHook/resetHooks; a predicate selects
// many hook points at once. Here: count the hook points a forward pass goes through.
let calls = 0;
model.addHook((name) => name.endsWith('hook_resid_post'), () => { calls++; });
model.forward(tokens).dispose();
model.forward(tokens).dispose();
console.log(`\n4. addHook on every hook_resid_post: ${calls} calls over 2 forward passes (${nLayers} layers)`);
model.resetHooks();
model.forward(tokens).dispose();
console.log(`   after resetHooks: still ${calls} calls`);

console.log(`\ntensors leaked by all of the above: ${tf.memory().numTensors - tensorsAtStart}`);
model.dispose();
