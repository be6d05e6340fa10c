/**
 * Which attention heads matter for a prompt? Zero-ablate every head in turn and measure how
 * much the next-token loss rises, and how the logit difference between the right and the
 * wrong answer moves.
 *
 *   pnpm exec tsx examples/head-ablation-sweep.ts [--model PATH|NAME] [--prompt TEXT] [--mode zero|mean|resample] [--answer TOKEN --wrong TOKEN]
 *
 * Defaults to toy-ioi (shipped in packages/core/models) on "When Mary and John went to the
 * store, John gave a drink to", answer "Mary", wrong "John". Any checkpoint loadModel
 * understands works with --model; if " Mary" and " John" are not single tokens there, the
 * sweep measures the loss alone.
 */
import { ablate, ablationSweep, resolveToken } from '@hooklens/hooks';
import type { AblationMode } from '@hooklens/hooks';
import { openExample } from './openExample.ts';

const { model, values } = await openExample({
  defaultModel: 'toy-ioi',
  options: { prompt: { type: 'string' }, mode: { type: 'string' }, answer: { type: 'string' }, wrong: { type: 'string' } },
});
const prompt = values.prompt ?? 'When Mary and John went to the store, John gave a drink to';
const tokens = model.toTokens(prompt); // BOS as the model family expects
const mode = (values.mode ?? 'zero') as AblationMode;

/** The default prompt's answer and wrong name, if this tokenizer has each as one token. */
function defaultMetric(): { answer?: string; wrong?: string } {
  try {
    // A leading space: GPT-2 spells a mid-sentence name " Mary"; word-level tokenizers ignore it.
    for (const name of [' Mary', ' John']) resolveToken(model, name);
    return { answer: ' Mary', wrong: ' John' };
  } catch {
    console.log('" Mary" / " John" are not single tokens for this tokenizer: measuring the loss only');
    return {};
  }
}
const metric = values.answer !== undefined ? { answer: values.answer, wrong: values.wrong ?? '' } : values.prompt === undefined ? defaultMetric() : {};

// Batched: each forward pass carries several copies of the prompt, each with a different head
// ablated, and starts at the ablated layer from the clean residual stream (earlier layers
// cannot change). The loss needs every position unembedded; per-row losses are split by copy.
const started = performance.now();
const tty = process.stderr.isTTY === true;
const sweep = await ablationSweep(model, tokens, { mode, ...metric, onProgress: (done, total) => { if (tty) process.stderr.write(`\r${done}/${total} heads`); } });
if (tty) process.stderr.write('\n');
console.log(`${tokens.length} tokens, ${mode} ablation of ${model.config.nLayers * model.config.nHeads} heads in ${((performance.now() - started) / 1000).toFixed(1)} s; clean loss ${sweep.lossClean.toFixed(4)}`);

const grid = (title: string, rows: number[][]) => {
  console.log(`\n${title}`);
  console.log(`     ${rows[0].map((_, head) => `H${head}`.padStart(8)).join('')}`);
  rows.forEach((row, layer) => console.log(`L${layer}`.padEnd(5) + row.map((v) => `${v > 0 ? '+' : ''}${v.toFixed(3)}`.padStart(8)).join('')));
};
grid('Δ loss when the head is ablated [layer × head]', sweep.lossDelta);
const ranked = sweep.lossDelta.flatMap((row, layer) => row.map((delta, head) => ({ layer, head, delta }))).sort((a, b) => b.delta - a.delta);
console.log(`\nmost important heads (largest loss increase): ${ranked.slice(0, 5).map((h) => `L${h.layer}H${h.head} (+${h.delta.toFixed(3)})`).join(', ')}`);
if (sweep.metricDelta) {
  grid(`Δ logit difference ${JSON.stringify(metric.answer)} − ${JSON.stringify(metric.wrong)} (clean ${sweep.metricClean!.toFixed(3)})`, sweep.metricDelta);
}

// Ablating the top heads together is usually worse than any one alone: heads back each other up.
const top = ranked.slice(0, 3).map(({ layer, head }) => ({ layer, head }));
const together = await ablate(model, tokens, { heads: top, mode, ...metric });
console.log(`\nablating ${top.map((h) => `L${h.layer}H${h.head}`).join(', ')} together: loss ${together.lossClean.toFixed(4)} → ${together.lossAblated.toFixed(4)}`);
const show = (p: { text?: string; token: number; probability: number }[]) => p.slice(0, 3).map((x) => `${JSON.stringify(x.text ?? `#${x.token}`)} ${(100 * x.probability).toFixed(0)}%`).join(', ');
console.log(`next token  clean: ${show(together.predictions[0].clean)}\n           ablated: ${show(together.predictions[0].ablated)}`);
model.dispose();
