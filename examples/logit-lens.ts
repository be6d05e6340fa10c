/**
 * The logit lens: decode the residual stream after every layer as if it were the last,
 * to watch the model's prediction form layer by layer.
 *
 *   pnpm exec tsx examples/logit-lens.ts [--model PATH|NAME] [--prompt TEXT]
 *
 * Defaults to toy-ioi, the 4-layer model shipped in packages/core/models that was trained on
 * indirect-object sentences: after "When Mary and John went to the store, John gave a drink to"
 * it says "Mary", and the lens shows in which layer that answer appears. Any checkpoint
 * loadModel understands works with --model (GPT-2, a llama2.c .bin, …).
 */
import { logitLens } from '@hooklens/hooks';
import { openExample } from './openExample.ts';

const { model, values } = await openExample({ defaultModel: 'toy-ioi', options: { prompt: { type: 'string' } } });
const prompt = values.prompt ?? 'When Mary and John went to the store, John gave a drink to';
const tokens = model.toTokens(prompt); // BOS as the model family expects

// One forward pass caches every blocks.L.hook_resid_pre (and the final residual); the lens
// runs them all through ln_final and W_U together and returns plain numbers.
const lens = logitLens(model, tokens, { topK: 3 });

// Rows: layer boundaries (L0 = just the embeddings, "final" = the model's output).
// Columns: positions; each cell is the most likely *next* token after that position.
const label = (layer: string) => {
  const match = /^blocks\.(\d+)\.hook_resid_pre$/.exec(layer);
  return match ? `L${match[1]}` : 'final';
};
const cell = (text: string) => JSON.stringify(text).slice(0, 11).padEnd(11);
console.log(`\n${'pos →'.padEnd(6)}${lens.positions.map(cell).join(' ')}`);
lens.layers.forEach((layer, l) => {
  console.log(`${label(layer).padEnd(6)}${lens.top[l].map((k) => cell(k[0].token)).join(' ')}`);
});

// Where does the final prediction at the last position settle? KL(final ‖ layer) shrinks
// towards 0 as the residual stream approaches the model's own answer.
const last = tokens.length - 1;
console.log(`\nat the last position (${JSON.stringify(lens.positions[last])}):`);
lens.layers.forEach((layer, l) => {
  const top = lens.top[l][last].map((k) => `${JSON.stringify(k.token)} ${(k.prob * 100).toFixed(1)}%`).join(', ');
  console.log(`  ${label(layer).padEnd(6)} entropy ${lens.entropy[l][last].toFixed(2)} nats, KL to final ${lens.klToFinal[l][last].toFixed(2)}  top: ${top}`);
});

model.dispose();
