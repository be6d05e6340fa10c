/**
 * Induction heads (Olsson et al. 2022): on random tokens repeated twice, an induction head at
 * a second-copy token attends to the token right after that token's first occurrence — and
 * copies it, which is how a model predicts the repeated half. This example scores every head
 * (previous-token, duplicate-token, induction), names the heads that score above 0.5, then
 * zero-ablates each induction head alone, all of them together, and the previous-token head
 * their keys read, and compares the loss on each half.
 *
 *   pnpm exec tsx examples/induction-heads.ts [--model PATH|NAME] [--seq-len N] [--batch B]
 *
 * Defaults to toy-induction (shipped in packages/core/models), a 2-layer attention-only model
 * with one head per layer trained on repeated random tokens: L0H0 is a previous-token head, L1H0
 * the induction head, and ablating either one alone takes the repeated half from about 0.2 nats
 * to chance or worse.
 * Any checkpoint works with --model; --seq-len defaults to 20, or what fits twice in a shorter
 * context (toy-induction's learned positions make L0H0 a previous-token head only over its first
 * 41 positions, BOS + 20 + 20).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHook } from '@hooklens/core';
import { headScores, repeatedRandomTokens } from '@hooklens/hooks';
import { openExample } from './openExample.ts';

const { model, values } = await openExample({
  defaultModel: 'toy-induction',
  options: { 'seq-len': { type: 'string' }, batch: { type: 'string' } },
});
const DEFAULT_SEQ_LEN = 20;
const fitsTwice = Math.floor((model.config.nCtx - (model.config.defaultPrependBos ? 1 : 0)) / 2);
const options = {
  seqLen: values['seq-len'] === undefined ? Math.min(DEFAULT_SEQ_LEN, fitsTwice) : Number(values['seq-len']),
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
// Heads above 0.5; when none is, the best one, since a head can share its attention between
// neighbours and still be the one others read (as a rotary version of toy-induction's L0H0 did:
// 0.45 on the previous token, 0.29 on the one before).
const list = (grid: number[][]) => {
  const found = strong(grid);
  const named = (h: Head) => `${name(h)} (${h.score.toFixed(2)})`;
  return found.length ? found.map(named).join(', ') : `none above 0.5; best ${named(heads(grid)[0])}`;
};
console.log(`\nprevious-token heads: ${list(scores.previousToken)}`);
console.log(`induction heads: ${list(scores.induction)}`);

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

// Each induction head alone, then all of them together (heads doing the same job back each other
// up, so one may cost little where all cost everything), then the previous-token head whose output
// the induction heads' keys read (K-composition): without it they cannot find the earlier copy.
const induction = strong(scores.induction);
const targets = induction.length > 0 ? induction : [heads(scores.induction)[0]];
const rows: [string, Head[]][] = [['clean', []], ...targets.map((h): [string, Head[]] => [`${name(h)} zero-ablated`, [h]])];
if (targets.length > 1) rows.push([`all ${targets.length} induction heads`, targets]);
const firstInductionLayer = Math.min(...targets.map((h) => h.layer));
const previous = heads(scores.previousToken).find((h) => h.layer < firstInductionLayer);
if (previous) rows.push([`${name(previous)} zero-ablated (previous-token)`, [previous]]);
console.log('\nloss per token (nats)                  first half   repeated half');
for (const [label, ablated] of rows) {
  const { first, repeated } = halfLosses(ablated);
  console.log(`${label.padEnd(39)}${first.toFixed(3).padStart(10)}   ${repeated.toFixed(3).padStart(13)}`);
}
model.dispose();
