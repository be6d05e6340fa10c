/**
 * Activation patching on an indirect-object-identification (IOI) prompt pair: which residual
 * stream positions, at which layers, carry the information that the answer is the indirect
 * object?
 *
 *   pnpm exec tsx examples/activation-patching.ts [--model PATH] [--kind resid_pre]
 *
 * Clean:     "When Mary and John went to the store, John gave a drink to"  → " Mary"
 * Corrupted: "When Mary and John went to the store, Mary gave a drink to"  → " John"
 * (names swapped in the second clause, so both prompts have the same tokens but one.)
 * Each cell runs the corrupted prompt with the clean residual stream copied in at one
 * (layer, position) and reports the logit difference answer − wrong, scaled so clean = 1 and
 * corrupted = 0. On GPT-2 (--model path/to/gpt2) the information moves from the second-clause
 * name to the final position in the middle layers.
 *
 * Defaults to the stories260K toy model in ../shared. Its 512-token vocabulary has no single
 * token for "Mary" or "John", so the example falls back to the first pair of names that are
 * single tokens there (Lily and Tim) and says so.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, loadModel } from '@hooklens/core';
import type { HookedTransformer } from '@hooklens/core';
import { activationPatching, PATCH_KINDS, type HeadPatchKind, type PositionPatchKind } from '@hooklens/hooks';

const DEFAULT_MODEL = fileURLToPath(new URL('../../shared/models/stories260K/stories260K.bin', import.meta.url));

const { values } = parseArgs({ options: { model: { type: 'string' }, kind: { type: 'string' } } });
const modelPath = values.model ?? DEFAULT_MODEL;
// Grid kinds only (layer × position or layer × head); the *_by_pos kinds have a third axis.
const kind = (values.kind ?? 'resid_pre') as PositionPatchKind | HeadPatchKind;
if (!existsSync(modelPath)) {
  console.error(`no model at ${modelPath}; pass --model PATH`);
  process.exit(1);
}
if (!PATCH_KINDS.includes(kind) || kind.endsWith('_by_pos')) {
  console.error(`--kind must be one of ${PATCH_KINDS.filter((k) => !k.endsWith('_by_pos')).join(', ')}`);
  process.exit(1);
}

const backend = await initBackend();
console.log(`backend: ${backend.description}`);
const model = await loadModel(modelPath);

/**
 * The id of `name` as it appears mid-sentence (after a space), if that is one token. GPT-2
 * style tokenizers spell it " Mary"; SentencePiece ones add the space themselves ("Mary" →
 * "▁Mary"), so both spellings are tried. The id must also occur in the prompt.
 */
function nameToken(model: HookedTransformer, name: string, prompt: number[]): number | undefined {
  for (const spelling of [` ${name}`, name]) {
    const ids = model.toTokens(spelling, { prependBos: false });
    if (ids.length === 1 && prompt.includes(ids[0])) return ids[0];
  }
  return undefined;
}

const template = (first: string, second: string, subject: string) => `When ${first} and ${second} went to the store, ${subject} gave a drink to`;
let chosen: { names: [string, string]; clean: number[]; corrupted: number[]; answer: number; wrong: number } | undefined;
for (const [io, s] of [['Mary', 'John'], ['Lily', 'Tim']] as const) {
  const clean = model.toTokens(template(io, s, s));
  const corrupted = model.toTokens(template(io, s, io));
  const answer = nameToken(model, io, clean);
  const wrong = nameToken(model, s, clean);
  if (answer !== undefined && wrong !== undefined && clean.length === corrupted.length) {
    chosen = { names: [io, s], clean, corrupted, answer, wrong };
    break;
  }
  console.log(`"${io}" / "${s}" are not single tokens for this tokenizer; trying another pair of names`);
}
if (!chosen) {
  console.error('no pair of candidate names is single tokens in this vocabulary; pass a model with a GPT-2 or Llama tokenizer');
  process.exit(1);
}

const { clean, corrupted, answer, wrong, names } = chosen;
console.log(`clean:     ${JSON.stringify(model.toString(clean))}`);
console.log(`corrupted: ${JSON.stringify(model.toString(corrupted))}`);
console.log(`metric: logit(${JSON.stringify(model.toStrTokens([answer])[0])} #${answer}) − logit(${JSON.stringify(model.toStrTokens([wrong])[0])} #${wrong}) at the last position  [${names.join(' vs ')}]`);

const started = performance.now();
// One clean and one corrupted run cache what is needed; every cell then runs as part of a
// batch that starts at the cell's layer and unembeds only the last position.
const grid = await activationPatching(model, clean, corrupted, {
  kind, answer, wrong,
  onProgress: (done, total) => process.stderr.write(`\r${done}/${total} cells`),
});
process.stderr.write('\n');
console.log(`${kind}: ${grid.rows.length} × ${grid.cols.length} cells in ${((performance.now() - started) / 1000).toFixed(2)} s; metric clean ${grid.clean.toFixed(3)}, corrupted ${grid.corrupted.toFixed(3)}`);
console.log();

// One line per column (position or head), one column per layer: 1.00 = fully restores the clean answer.
const width = Math.max(...grid.cols.map((label) => label.length));
console.log(`${''.padEnd(width)}  ${grid.rows.map((row) => row.padStart(6)).join('')}`);
grid.cols.forEach((label, c) => {
  console.log(`${label.padEnd(width)}  ${grid.rows.map((_, l) => grid.values[l][c].toFixed(2).padStart(6)).join('')}`);
});
model.dispose();
