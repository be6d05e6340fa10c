/**
 * Induction heads (Olsson et al. 2022): on random tokens repeated twice, an induction head at
 * a second-copy token attends to the token right after that token's first occurrence — and
 * copies it, which is how a model predicts the repeated half. This example scores every head
 * (previous-token, duplicate-token, induction), picks the best induction head, zero-ablates it
 * and compares the loss on the repeated half with and without it.
 *
 *   pnpm exec tsx examples/induction-heads.ts [--model PATH] [--seq-len N] [--batch B]
 *
 * Defaults to the stories260K toy model in ../shared (a 5-layer llama2.c model trained on
 * TinyStories); any checkpoint loadModel understands works with --model.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel } from '@hooklens/core';
import type { ForwardHook } from '@hooklens/core';
import { headScores, repeatedRandomTokens } from '@hooklens/hooks';

const DEFAULT_MODEL = fileURLToPath(new URL('../../shared/models/stories260K/stories260K.bin', import.meta.url));

const { values } = parseArgs({ options: { model: { type: 'string' }, 'seq-len': { type: 'string' }, batch: { type: 'string' } } });
const modelPath = values.model ?? DEFAULT_MODEL;
if (!existsSync(modelPath)) {
  console.error(`no model at ${modelPath}; pass --model PATH`);
  process.exit(1);
}

const backend = await initBackend();
console.log(`backend: ${backend.description}`);
const model = await loadModel(modelPath);
const options = { seqLen: Number(values['seq-len'] ?? 40), batch: Number(values.batch ?? 8), seed: 0 };

// One forward pass over the repeated random tokens; each head's pattern is scored in a hook.
const scores = await headScores(model, options);
const grid = (title: string, rows: number[][]) => {
  console.log(`\n${title}`);
  console.log(`     ${rows[0].map((_, head) => `H${head}`.padStart(6)).join('')}`);
  rows.forEach((row, layer) => console.log(`L${layer}`.padEnd(5) + row.map((v) => v.toFixed(2).padStart(6)).join('')));
};
grid('previous-token score', scores.previousToken);
grid('duplicate-token score', scores.duplicateToken);
grid('induction score', scores.induction);
const best = scores.induction.flatMap((row, layer) => row.map((score, head) => ({ layer, head, score }))).sort((a, b) => b.score - a.score)[0];
console.log(`\nbest induction head: ${best.layer}.${best.head} (score ${best.score.toFixed(3)}${best.score < 0.3 ? '; weak — this model may have no real induction head' : ''})`);

// The same sequences headScores used (same seed), and the per-token loss on each half.
const { tokens, seqLen, offset } = repeatedRandomTokens(model, options);
const halfLosses = (hooks: ForwardHook[]) => {
  const perToken = model.withHooks(hooks, () => model.forward(tokens, { returnType: 'loss', perTokenLoss: true })); // [batch, pos − 1]
  const losses = perToken.arraySync() as number[][];
  perToken.dispose();
  // Entry p is the loss of predicting token p + 1. The first half's tokens are unpredictable;
  // in the second half (after its first token) the answer is in the context, seqLen back.
  const mean = (from: number, to: number) => losses.reduce((sum, row) => sum + row.slice(from, to).reduce((a, b) => a + b, 0), 0) / (losses.length * (to - from));
  return { first: mean(offset, offset + seqLen - 1), repeated: mean(offset + seqLen, offset + 2 * seqLen - 1) };
};
const zeroHead: ForwardHook = [`blocks.${best.layer}.attn.hook_z`, (z) => {
  // z: [batch, pos, head, d_head]; multiply the best head's slice by 0.
  const keep = tf.oneHot(tf.tensor1d([best.head], 'int32'), model.config.nHeads).reshape([1, 1, -1, 1]).neg().add(1);
  return z.mul(keep);
}];
const clean = halfLosses([]);
const ablated = halfLosses([zeroHead]);
console.log(`\nloss per token (nats)      first half   repeated half`);
console.log(`clean                      ${clean.first.toFixed(3).padStart(10)}   ${clean.repeated.toFixed(3).padStart(13)}`);
console.log(`head ${best.layer}.${best.head} zero-ablated     ${ablated.first.toFixed(3).padStart(10)}   ${ablated.repeated.toFixed(3).padStart(13)}`);
console.log(`repeated-half loss ${ablated.repeated >= clean.repeated ? 'rises' : 'falls'} by ${Math.abs(ablated.repeated - clean.repeated).toFixed(3)} nats when the head is ablated`);
model.dispose();
