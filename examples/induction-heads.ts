/**
 * Induction heads (Olsson et al. 2022): on random tokens repeated twice, an induction head at
 * a second-copy token attends to the token right after that token's first occurrence — and
 * copies it, which is how a model predicts the repeated half. This example scores every head
 * (previous-token, duplicate-token, induction), names the heads that score above 0.5, then
 * zero-ablates the best induction head, and all of them together, and compares the loss on the
 * repeated half.
 *
 *   pnpm exec tsx examples/induction-heads.ts [--model PATH|NAME] [--seq-len N] [--batch B]
 *
 * Defaults to toy-induction (shipped in packages/core/models), a 2-layer attention-only model
 * trained on repeated random tokens: a previous-token head L0H2 and four induction heads in
 * layer 1 that back each other up, so one ablated costs little and all four cost everything.
 * Any checkpoint works with --model; --seq-len defaults to what fits twice in its context.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHook } from '@hooklens/core';
import { headScores, repeatedRandomTokens } from '@hooklens/hooks';
import { openExample } from './openExample.ts';

const { model, values } = await openExample({
  defaultModel: 'toy-induction',
  options: { 'seq-len': { type: 'string' }, batch: { type: 'string' } },
});
const options = {
  ...(values['seq-len'] === undefined ? {} : { seqLen: Number(values['seq-len']) }),
  batch: Number(values.batch ?? 8),
  seed: 0,
};

// One forward pass over the repeated random tokens; each head's pattern is scored in a hook.
const scores = await headScores(model, options);
type Head = { layer: number; head: number; score: number };
const heads = (grid: number[][]): Head[] => grid.flatMap((row, layer) => row.map((score, head) => ({ layer, head, score }))).sort((a, b) => b.score - a.score);
const name = (h: Head) => `L${h.layer}H${h.head}`;
const grid = (title: string, rows: number[][]) => {
  console.log(`\n${title}`);
  console.log(`     ${rows[0].map((_, head) => `H${head}`.padStart(6)).join('')}`);
  rows.forEach((row, layer) => console.log(`L${layer}`.padEnd(5) + row.map((v) => v.toFixed(2).padStart(6)).join('')));
};
grid('previous-token score', scores.previousToken);
grid('duplicate-token score', scores.duplicateToken);
grid('induction score', scores.induction);
const strong = (grid: number[][]) => heads(grid).filter((h) => h.score > 0.5);
const list = (found: Head[]) => (found.length ? found.map((h) => `${name(h)} (${h.score.toFixed(2)})`).join(', ') : 'none above 0.5');
console.log(`\nprevious-token heads: ${list(strong(scores.previousToken))}`);
console.log(`induction heads: ${list(strong(scores.induction))}`);

// The same sequences headScores used (same seed), and the per-token loss on each half.
const { tokens, seqLen, offset } = repeatedRandomTokens(model, options);
const halfLosses = (ablated: Head[]) => {
  // Zero the ablated heads' slices of hook_z ([batch, pos, head, d_head]) in their layers.
  const hooks: ForwardHook[] = [...new Set(ablated.map((h) => h.layer))].map((layer) => [`blocks.${layer}.attn.hook_z`, (z) => {
    const keep = Array.from({ length: model.config.nHeads }, (_, head) => (ablated.some((h) => h.layer === layer && h.head === head) ? 0 : 1));
    return z.mul(tf.tensor4d(keep, [1, 1, model.config.nHeads, 1]));
  }]);
  const perToken = model.withHooks(hooks, () => model.forward(tokens, { returnType: 'loss', perTokenLoss: true })); // [batch, pos − 1]
  const losses = perToken.arraySync() as number[][];
  perToken.dispose();
  // Entry p is the loss of predicting token p + 1. The first half's tokens are unpredictable;
  // in the second half (after its first token) the answer is in the context, seqLen back.
  const mean = (from: number, to: number) => losses.reduce((sum, row) => sum + row.slice(from, to).reduce((a, b) => a + b, 0), 0) / (losses.length * (to - from));
  return { first: mean(offset, offset + seqLen - 1), repeated: mean(offset + seqLen, offset + 2 * seqLen - 1) };
};

// One head may be backed up by others doing the same job; ablating all of them shows what they do together.
const best = heads(scores.induction)[0];
const rows: [string, Head[]][] = [['clean', []], [`${name(best)} zero-ablated`, [best]]];
const all = strong(scores.induction);
if (all.length > 1) rows.push([`all ${all.length} induction heads`, all]);
console.log('\nloss per token (nats)      first half   repeated half');
for (const [label, ablated] of rows) {
  const { first, repeated } = halfLosses(ablated);
  console.log(`${label.padEnd(27)}${first.toFixed(3).padStart(10)}   ${repeated.toFixed(3).padStart(13)}`);
}
model.dispose();
