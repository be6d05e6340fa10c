/** The stderr warning for prompts holding words the model does not know: its results are for a prompt with <unk> there. */
import { modelName, promptTokens, unknownTokens } from '@hooklens/hooks';
import type { UnknownToken } from '@hooklens/hooks';
import type { HookedTransformer } from '@hooklens/core';

/** Warns when `ids`, encoded from `text`, hold the unknown token; `what` names the prompt ("--clean", a field of an experiment file). */
export function warnUnknownWords(model: HookedTransformer, ids: readonly number[], text: string, what: string): void {
  reportUnknownWords(model, what, unknownTokens(model, ids, text));
}

/** The warning for unknown tokens already found (e.g. by an experiment run). */
export function reportUnknownWords(model: HookedTransformer, what: string, unknown: readonly UnknownToken[]): void {
  if (unknown.length === 0) return;
  const unk = model.tokenizer?.unkTokenId;
  const label = unk === undefined ? 'the unknown token' : JSON.stringify(model.toSingleStrToken(unk));
  const list = unknown.map(({ position, text }) => (text ? `${JSON.stringify(text)} (position ${position})` : `position ${position}`)).join(', ');
  const count = unknown.length === 1 ? 'a word' : `${unknown.length} words`;
  process.stderr.write(`warning: ${what} has ${count} ${modelName(model)} does not know, read as ${label}: ${list}\n`);
}

/** The prompt's ids as hooks' promptTokens gives them, with the warning above for words the model does not know. */
export function encodeWarningUnknown(model: HookedTransformer, text: string, options: { prependBos?: boolean }, what: string, option: string): number[] {
  const ids = promptTokens(model, text, options, what);
  warnUnknownWords(model, ids, text, option);
  return ids;
}
