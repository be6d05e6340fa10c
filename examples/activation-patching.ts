/**
 * Activation patching on an indirect-object-identification (IOI) prompt pair: which residual
 * stream positions, at which layers, carry the information that the answer is the indirect
 * object?
 *
 *   pnpm exec tsx examples/activation-patching.ts [--model PATH|NAME] [--kind resid_pre]
 *
 * Clean:     "When Mary and John went to the store, John gave a drink to"  → "Mary"
 * Corrupted: "When Mary and John went to the store, Mary gave a drink to"  → "John"
 * (names swapped in the second clause, so both prompts have the same tokens but one.)
 * Each cell runs the corrupted prompt with the clean residual stream copied in at one
 * (layer, position) and reports the logit difference answer − wrong, scaled so clean = 1 and
 * corrupted = 0.
 *
 * Defaults to toy-ioi (shipped in packages/core/models): the information sits at the second
 * "John" in layer 0 and has moved to the final "to" by layer 1 (--kind z: head L0H3 moves it).
 * On GPT-2 (--model path/to/gpt2) the same move happens in the middle layers. A tokenizer with
 * no single token for "Mary" or "John" (stories260K's 512 pieces) gets the first pair of names
 * that are single tokens there (Lily and Tim), and the example says so.
 */
import { activationPatching, PATCH_KINDS, type HeadPatchKind, type PositionPatchKind } from '@hooklens/hooks';
import type { HookedTransformer } from '@hooklens/core';
import { openExample } from './openExample.ts';

const { model, values } = await openExample({ defaultModel: 'toy-ioi', options: { kind: { type: 'string' } } });
// Grid kinds only (layer × position or layer × head); the *_by_pos kinds have a third axis.
const kind = (values.kind ?? 'resid_pre') as PositionPatchKind | HeadPatchKind;
if (!PATCH_KINDS.includes(kind) || kind.endsWith('_by_pos')) {
  console.error(`--kind must be one of ${PATCH_KINDS.filter((k) => !k.endsWith('_by_pos')).join(', ')}`);
  process.exit(1);
}

/**
 * The id of `name` as it appears mid-sentence (after a space), if that is one token. GPT-2
 * style tokenizers spell it " Mary"; SentencePiece ones add the space themselves ("Mary" →
 * "▁Mary"), so both spellings are tried. The id must also occur in the prompt, and read as
 * the name: a word-level tokenizer encodes a word it does not know as one token, "<unk>".
 */
function nameToken(model: HookedTransformer, name: string, prompt: number[]): number | undefined {
  for (const spelling of [` ${name}`, name]) {
    const ids = model.toTokens(spelling, { prependBos: false });
    if (ids.length === 1 && prompt.includes(ids[0]) && model.toSingleStrToken(ids[0]).trim() === name) return ids[0];
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
console.log(`metric: logit(${JSON.stringify(model.toSingleStrToken(answer))} #${answer}) − logit(${JSON.stringify(model.toSingleStrToken(wrong))} #${wrong}) at the last position  [${names.join(' vs ')}]`);

const started = performance.now();
// One clean and one corrupted run cache what is needed; every cell then runs as part of a
// batch that starts at the cell's layer and unembeds only the last position.
const tty = process.stderr.isTTY === true;
const grid = await activationPatching(model, clean, corrupted, {
  kind, answer, wrong,
  onProgress: (done, total) => { if (tty) process.stderr.write(`\r${done}/${total} cells`); },
});
if (tty) process.stderr.write('\n');
console.log(`${kind}: ${grid.rows.length} × ${grid.cols.length} cells in ${((performance.now() - started) / 1000).toFixed(2)} s; metric clean ${grid.clean.toFixed(3)}, corrupted ${grid.corrupted.toFixed(3)}`);
console.log();

// One line per column (position or head), one column per layer: 1.00 = fully restores the clean answer.
const width = Math.max(...grid.cols.map((label) => label.length));
console.log(`${''.padEnd(width)}  ${grid.rows.map((row) => row.padStart(6)).join('')}`);
grid.cols.forEach((label, c) => {
  console.log(`${label.padEnd(width)}  ${grid.rows.map((_, l) => grid.values[l][c].toFixed(2).padStart(6)).join('')}`);
});
model.dispose();
